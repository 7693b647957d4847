use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, error_code};

#[tokio::test]
async fn a_doctor_writes_a_record_and_the_patient_reads_it() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.grey@example.org").await;
    let (patient_id, patient) = app.patient("sam@example.org").await;
    app.join_care_team(&patient_id, &patient, &doctor_id).await;

    let path = format!("/api/v1/patients/{patient_id}/records");
    let (status, record) = app
        .post(
            &path,
            Some(&doctor),
            &json!({"title": "Check-up", "notes": "All well.\nSee you in a year."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{record}");
    assert_eq!(record["patient_id"], patient_id.as_str());
    assert_eq!(record["author_id"], doctor_id.as_str());
    assert_eq!(record["title"], "Check-up");
    assert_eq!(record["notes"], "All well.\nSee you in a year.");
    assert_eq!(record["version"], 1);
    assert!(
        record["created_at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z'))
    );

    let (status, list) = app.get(&path, Some(&patient)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["items"][0]["id"], record["id"]);
    assert!(list["next"].is_null());

    let (status, read) = app
        .get(
            &format!("/api/v1/records/{}", record["id"].as_str().expect("id")),
            Some(&patient),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, record);

    // The write and both reads are in the audit trail, by id.
    let entries = app
        .audit(medvault_store::AuditFilter {
            patient_id: Some(patient_id.parse().unwrap()),
            ..Default::default()
        })
        .await;
    let actions: Vec<&str> = entries.iter().map(|e| e.entry.action.as_str()).collect();
    for expected in ["record.create", "record.list", "record.read"] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    assert!(entries.iter().all(|e| {
        e.entry
            .correlation_id
            .as_deref()
            .is_some_and(|id| !id.is_empty())
    }));
}

#[tokio::test]
async fn a_doctor_who_opens_a_chart_joins_its_care_team() {
    let app = TestApp::spawn().await;
    let (_, doctor) = app.doctor("dr.new@example.org").await;
    let body = json!({"name": "Lee Chart", "birth_date": "1970-02-03", "sex": "female", "phone": "+44 20 7946 0000"});
    let (status, chart) = app.post("/api/v1/patients", Some(&doctor), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{chart}");
    assert_eq!(chart["birth_date"], "1970-02-03");
    let id = chart["id"].as_str().expect("id");
    let (status, _) = app
        .post(
            &format!("/api/v1/patients/{id}/records"),
            Some(&doctor),
            &json!({"title": "t", "notes": "n"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, list) = app.get("/api/v1/patients", Some(&doctor)).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));

    // Patients cannot open charts.
    let (_, patient) = app.patient("p@example.org").await;
    let (status, error) = app.post("/api/v1/patients", Some(&patient), &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&error), "forbidden");
}

#[tokio::test]
async fn record_lists_page_with_a_cursor() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.page@example.org").await;
    let (patient_id, patient) = app.patient("many@example.org").await;
    app.join_care_team(&patient_id, &patient, &doctor_id).await;
    let path = format!("/api/v1/patients/{patient_id}/records");
    for n in 0..5 {
        let (status, _) = app
            .post(
                &path,
                Some(&doctor),
                &json!({"title": format!("Visit {n}"), "notes": "."}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, first) = app.get(&format!("{path}?limit=2"), Some(&patient)).await;
    let titles = |page: &serde_json::Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|r| r["title"].as_str().expect("title").to_owned())
            .collect()
    };
    assert_eq!(titles(&first), ["Visit 4", "Visit 3"], "newest first");
    let next = first["next"].as_str().expect("more pages");
    let (_, second) = app
        .get(&format!("{path}?limit=2&cursor={next}"), Some(&patient))
        .await;
    assert_eq!(titles(&second), ["Visit 2", "Visit 1"]);
    let (_, third) = app
        .get(
            &format!(
                "{path}?limit=2&cursor={}",
                second["next"].as_str().expect("more")
            ),
            Some(&patient),
        )
        .await;
    assert_eq!(titles(&third), ["Visit 0"]);
    assert!(third["next"].is_null());

    for bad in ["?limit=0", "?limit=201", "?limit=x", "?cursor=not-a-cursor"] {
        let (status, error) = app.get(&format!("{path}{bad}"), Some(&patient)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {error}");
        assert_eq!(error_code(&error), "invalid_input");
    }
}

/// A record list reads its page and the caller's ties to the chart together. It must decide and
/// audit the same whether or not the page holds records: past its last page, on an empty chart,
/// on a chart that does not exist, for a caller with no tie, and under emergency access.
#[tokio::test]
async fn a_record_list_is_decided_and_audited_alike_with_records_on_its_page_or_none() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.list@example.org").await;
    let (_, outsider) = app.doctor("dr.outside@example.org").await;
    let (_, glass) = app.doctor("dr.glass@example.org").await;
    let (full, full_patient) = app.patient("full@example.org").await;
    let (empty, empty_patient) = app.patient("empty@example.org").await;
    app.join_care_team(&full, &full_patient, &doctor_id).await;
    app.join_care_team(&empty, &empty_patient, &doctor_id).await;
    let list = |chart: &str| format!("/api/v1/patients/{chart}/records");
    let (status, _) = app
        .post(
            &list(&full),
            Some(&doctor),
            &json!({"title": "Seen", "notes": "Well."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, page) = app.get(&list(&full), Some(&doctor)).await;
    let last = page["items"][0]["id"]
        .as_str()
        .expect("a record")
        .to_owned();

    let app = &app;
    let entries = |chart: &str| {
        let chart = chart.to_owned();
        async move {
            let filter = medvault_store::AuditFilter {
                patient_id: Some(chart.parse().expect("patient id")),
                actions: vec!["record.list".to_owned()],
                ..Default::default()
            };
            app.audit(filter)
                .await
                .into_iter()
                .map(|row| match row.entry.emergency {
                    true => format!("{} in an emergency", row.entry.outcome),
                    false => row.entry.outcome,
                })
                .collect::<Vec<_>>()
        }
    };

    // Past the last page and on an empty chart: an empty list, audited as read.
    let (status, past) = app
        .get(&format!("{}?cursor={last}", list(&full)), Some(&doctor))
        .await;
    assert_eq!(status, StatusCode::OK, "{past}");
    assert_eq!(past["items"], json!([]));
    let (status, none) = app.get(&list(&empty), Some(&doctor)).await;
    assert_eq!(status, StatusCode::OK, "{none}");
    assert_eq!(none["items"], json!([]));
    assert_eq!(entries(&empty).await, ["success"]);

    // No tie: not found, with or without records on the page, and the refusal audited each time.
    for path in [
        list(&full),
        format!("{}?cursor={last}", list(&full)),
        list(&empty),
    ] {
        let (status, body) = app.get(&path, Some(&outsider)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(!body.to_string().contains("Seen"), "{body}");
    }
    assert_eq!(
        entries(&full).await,
        ["denied", "denied", "success", "success"]
    );
    assert_eq!(entries(&empty).await, ["denied", "success"]);

    // A chart that does not exist: not found, and nothing to audit about it.
    let nobody = "00000000-0000-4000-8000-000000000000";
    let (status, _) = app.get(&list(nobody), Some(&doctor)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(entries(nobody).await.is_empty());

    // Break the glass: the list is read, and its entry says so, with records on the page or not.
    let (status, body) = app
        .post(
            &format!("/api/v1/patients/{full}/emergency-access"),
            Some(&glass),
            &json!({"reason": "Unconscious in the emergency room"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, page) = app.get(&list(&full), Some(&glass)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"][0]["title"], "Seen");
    let (status, _) = app
        .get(&format!("{}?cursor={last}", list(&full)), Some(&glass))
        .await;
    assert_eq!(status, StatusCode::OK);
    let glass_entries = entries(&full).await;
    assert_eq!(
        glass_entries[..2],
        ["success in an emergency", "success in an emergency"]
    );
}
