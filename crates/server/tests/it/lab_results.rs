//! Lab results: entered by the care team through the API and the chart page, listed by test and
//! time a page at a time, each test's trend drawn as SVG with the abnormal points marked; a
//! result entered in error stays, marked, and leaves the trend.

use medvault_domain::labs::{TestName, TextValue, Unit};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, error_code};
use crate::web::WebSession;

async fn chart_with_doctor(app: &TestApp, tag: &str) -> (String, String) {
    let (doctor_id, doctor) = app.doctor(&format!("dr.{tag}@example.org")).await;
    let (chart, patient) = app.patient(&format!("{tag}@example.org")).await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    (chart, doctor)
}

#[tokio::test]
async fn results_are_entered_listed_by_test_and_time_and_drawn_as_a_trend() {
    let app = TestApp::spawn().await;
    let (chart, doctor) = chart_with_doctor(&app, "labs").await;
    let results = format!("/api/v1/patients/{chart}/lab-results");
    let potassium =
        |value: f64, at: &str| json!({"code": "2823-3", "value": value, "collected_at": at});

    // A known code brings its name, unit and range; the interpretation is read from the range.
    let (status, first) = app
        .post(
            &results,
            Some(&doctor),
            &potassium(4.1, "2026-01-05T08:00:00Z"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["test_name"], "Potassium");
    assert_eq!(first["unit"], "mmol/L");
    assert_eq!(first["reference_low"], 3.5);
    assert_eq!(first["interpretation"], "normal");
    assert_eq!(first["source"], "entered");
    let (_, second) = app
        .post(
            &results,
            Some(&doctor),
            &potassium(6.3, "2026-02-05T08:00:00Z"),
        )
        .await;
    assert_eq!(second["interpretation"], "high");
    let (_, third) = app
        .post(&results, Some(&doctor), &potassium(4.4, "2026-03-05"))
        .await;
    assert_eq!(third["collected_at"], "2026-03-05T00:00:00.000Z");
    let urine =
        json!({"test_name": "Urine protein", "value": "negative", "collected_at": "2026-03-01"});
    let (status, words) = app.post(&results, Some(&doctor), &urine).await;
    assert_eq!(status, StatusCode::CREATED, "{words}");
    assert_eq!(words["value"], "negative");
    assert!(words["code"].is_null() && words["interpretation"].is_null());

    // Newest first, a page at a time; by test and time; oldest first when asked.
    let values = |body: &Value| -> Vec<Value> {
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| item["value"].clone())
            .collect()
    };
    let (_, page) = app
        .get(&format!("{results}?code=2823-3&limit=2"), Some(&doctor))
        .await;
    assert_eq!(values(&page), [json!(4.4), json!(6.3)]);
    let next = page["next"].as_str().expect("a next page");
    let (_, rest) = app
        .get(
            &format!("{results}?code=2823-3&limit=2&cursor={next}"),
            Some(&doctor),
        )
        .await;
    assert_eq!(values(&rest), [json!(4.1)]);
    assert!(rest["next"].is_null());
    let (_, window) = app
        .get(
            &format!("{results}?from=2026-02-01&to=2026-03-02&sort=collected_at"),
            Some(&doctor),
        )
        .await;
    assert_eq!(values(&window), [json!(6.3), json!("negative")]);
    for (query, field) in [
        ("sort=value", "sort"),
        ("code=2823-4", "code"),
        ("from=yesterday", "from"),
        ("limit=500", "limit"),
        ("cursor=abc", "cursor"),
        ("colour=red", "colour"),
    ] {
        let (status, refused) = app.get(&format!("{results}?{query}"), Some(&doctor)).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {refused}"
        );
        assert_eq!(refused["error"]["field"], field, "{query}: {refused}");
    }

    // The trend: an SVG image, the high point marked, the range said in words.
    let trend = app
        .http
        .get(app.url(&format!("{results}/trend?code=2823-3")))
        .bearer_auth(&doctor)
        .send()
        .await
        .expect("sent");
    assert_eq!(trend.status(), StatusCode::OK);
    assert_eq!(trend.headers()["content-type"], "image/svg+xml");
    let svg = trend.text().await.expect("body");
    assert!(svg.starts_with("<svg"), "{svg}");
    assert_eq!(svg.matches("<circle").count(), 2, "{svg}");
    assert_eq!(svg.matches("class=\"abnormal\"").count(), 1, "{svg}");
    assert!(svg.contains("reference range 3.5 to 5.1 mmol/L"), "{svg}");

    // Entered in error: it stays, marked, and leaves the trend; not twice.
    let id = second["id"].as_str().expect("id");
    let mark = format!("/api/v1/lab-results/{id}/entered-in-error");
    let (status, marked) = app
        .post(
            &mark,
            Some(&doctor),
            &json!({"reason": "Haemolysed sample"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{marked}");
    assert_eq!(marked["status"], "entered-in-error");
    let (status, again) = app
        .post(
            &mark,
            Some(&doctor),
            &json!({"reason": "Haemolysed sample"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&again), "entered_in_error");
    let svg = app
        .http
        .get(app.url(&format!("{results}/trend?code=2823-3")))
        .bearer_auth(&doctor)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    assert!(!svg.contains("class=\"abnormal\""), "{svg}");
    let (_, all) = app
        .get(&format!("{results}?code=2823-3"), Some(&doctor))
        .await;
    assert_eq!(
        all["items"].as_array().map(Vec::len),
        Some(3),
        "still listed"
    );
}

#[tokio::test]
async fn a_result_is_checked_field_by_field() {
    let app = TestApp::spawn().await;
    let (chart, doctor) = chart_with_doctor(&app, "badlab").await;
    let results = format!("/api/v1/patients/{chart}/lab-results");
    for (body, field) in [
        (
            json!({"code": "2823-4", "value": 4, "collected_at": "2026-01-01"}),
            "code",
        ),
        (
            json!({"value": 4, "collected_at": "2026-01-01"}),
            "test_name",
        ),
        (
            json!({"code": "2823-3", "value": 4, "collected_at": "2999-01-01"}),
            "collected_at",
        ),
        (
            json!({"code": "2823-3", "value": 4, "collected_at": "soon"}),
            "collected_at",
        ),
        (
            json!({"code": "2823-3", "value": true, "collected_at": "2026-01-01"}),
            "value",
        ),
        (
            json!({"code": "2823-3", "value": " ", "collected_at": "2026-01-01"}),
            "value",
        ),
        (
            json!({"test_name": "Culture", "value": "𠀀".repeat(TextValue::MAX_CHARS + 1), "collected_at": "2026-01-01"}),
            "value",
        ),
        (
            json!({"code": "2823-3", "value": 4, "reference_low": 6, "reference_high": 2, "collected_at": "2026-01-01"}),
            "reference_low",
        ),
        (
            json!({"code": "2823-3", "value": 4, "interpretation": "HH", "collected_at": "2026-01-01"}),
            "interpretation",
        ),
    ] {
        let (status, refused) = app.post(&results, Some(&doctor), &body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {refused}"
        );
        assert_eq!(refused["error"]["field"], field, "{body}: {refused}");
    }
    let (_, none) = app.get(&results, Some(&doctor)).await;
    assert_eq!(none["items"], json!([]), "nothing was written");

    // The longest result the rules allow, every character four bytes in UTF-8 and varied so
    // that it does not compress, fits the index a chart page reads its results from (on
    // PostgreSQL, an entry holds at most 2,704 bytes).
    let varied = |from: u32, count: usize| -> String {
        (0..count as u32)
            .filter_map(|n| char::from_u32(0x20000 + (from + n * 7919) % 0xA6D0))
            .collect()
    };
    let longest = json!({
        "test_name": varied(1, TestName::MAX_CHARS),
        "value": varied(2, TextValue::MAX_CHARS),
        "unit": varied(3, Unit::MAX_CHARS),
        "collected_at": "2026-01-01",
    });
    let (status, written) = app.post(&results, Some(&doctor), &longest).await;
    assert_eq!(status, StatusCode::CREATED, "{written}");
    let (_, listed) = app.get(&results, Some(&doctor)).await;
    assert_eq!(listed["items"][0]["value"], longest["value"]);
}

#[tokio::test]
async fn the_chart_page_enters_results_and_draws_their_trend_for_the_team_only() {
    let app = TestApp::spawn().await;
    let (chart, _) = chart_with_doctor(&app, "labpage").await;
    let mut web = WebSession::new(&app);
    web.sign_in("dr.labpage@example.org", PASSWORD).await;
    let page = web.get(&format!("/patients/{chart}")).await;
    let action = format!("/patients/{chart}/lab-results");
    assert!(page.has_form(&action), "{}", page.html);
    let csrf = page.csrf();
    for (value, at) in [("6.1", "2026-02-01T09:30"), ("7.4", "2026-03-01T09:30")] {
        let entered = web
            .post(
                &action,
                &[
                    ("csrf", csrf.as_str()),
                    ("code", "4548-4"),
                    ("test_name", ""),
                    ("value", value),
                    ("unit", ""),
                    ("reference_low", ""),
                    ("reference_high", ""),
                    ("collected_at", at),
                    ("interpretation", ""),
                ],
            )
            .await;
        assert_eq!(entered.status, StatusCode::SEE_OTHER, "{}", entered.html);
    }
    let refused = web
        .post(
            &action,
            &[
                ("csrf", csrf.as_str()),
                ("code", "4548-4"),
                ("value", "abc def"),
                ("collected_at", "2999-01-01T00:00"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body().contains("collected_at is in the future"),
        "{}",
        refused.html
    );
    assert!(
        refused.body().contains(r#"value="abc def""#),
        "what was typed is kept"
    );

    let page = web.get(&format!("/patients/{chart}")).await;
    let body = page.body();
    assert!(body.contains("Haemoglobin A1c"), "{body}");
    assert!(body.contains("<svg"), "the trend is drawn inline");
    assert!(body.contains("Latest abnormal"), "{body}");

    // An intern with a grant sees the chart, never its results.
    let intern_id = app.staff("intern.lab@example.org", "intern").await;
    let doctor = app.login("dr.labpage@example.org", PASSWORD).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/patients/{chart}/intern-grants"),
            Some(&doctor),
            &json!({"intern_id": intern_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut intern = WebSession::new(&app);
    intern.sign_in("intern.lab@example.org", PASSWORD).await;
    let seen = intern.get(&format!("/patients/{chart}")).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen.body().contains("Haemoglobin A1c"), "{}", seen.html);
    assert!(!seen.body().contains("<svg"));
}

/// A result entered in error leaves every place that shows a chart's newest results: the chart
/// page's panel and its "latest abnormal" line, the summary's abnormal results and the insights.
#[tokio::test]
async fn a_newest_result_entered_in_error_leaves_the_page_summary_and_insights() {
    let app = TestApp::spawn().await;
    let (chart, doctor) = chart_with_doctor(&app, "labmistake").await;
    let results = format!("/api/v1/patients/{chart}/lab-results");
    let mut ids = Vec::new();
    for (value, at) in [(4.1, "2026-01-05T08:00:00Z"), (5.6, "2026-02-05T08:00:00Z")] {
        let body = json!({"code": "2823-3", "value": value, "collected_at": at});
        let (status, made) = app.post(&results, Some(&doctor), &body).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        ids.push(made["id"].as_str().expect("id").to_owned());
    }
    let mistaken = ids.last().expect("the high result").clone();
    let mut web = WebSession::new(&app);
    web.sign_in("dr.labmistake@example.org", PASSWORD).await;
    let shown = |chart: &str| format!("/patients/{chart}");

    let evidence = |insights: &Value| -> Vec<String> {
        insights["insights"]
            .as_array()
            .expect("insights")
            .iter()
            .flat_map(|insight| insight["evidence"].as_array().cloned().unwrap_or_default())
            .filter_map(|id| id.as_str().map(str::to_owned))
            .collect()
    };
    let abnormal_codes = |summary: &Value| -> Vec<Value> {
        summary["abnormal_results"]
            .as_array()
            .expect("abnormal results")
            .iter()
            .map(|abnormal| abnormal["latest"]["code"].clone())
            .collect()
    };
    let insights = format!("/api/v1/patients/{chart}/insights");
    let summary = format!("/api/v1/patients/{chart}/summary");

    // Before: the high result is the newest everywhere.
    let page = web.get(&shown(&chart)).await;
    assert!(page.body().contains("5.6 mmol/L"), "{}", page.html);
    assert!(page.body().contains("Latest abnormal"), "{}", page.html);
    let (_, found) = app.get(&insights, Some(&doctor)).await;
    assert!(evidence(&found).contains(&mistaken), "{found}");
    let (_, read) = app.get(&summary, Some(&doctor)).await;
    assert_eq!(abnormal_codes(&read), [json!("2823-3")], "{read}");

    let mark = format!("/api/v1/lab-results/{mistaken}/entered-in-error");
    let (status, marked) = app
        .post(&mark, Some(&doctor), &json!({"reason": "Wrong patient"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{marked}");

    // After: the result before it is the newest, and nothing is abnormal any more.
    let page = web.get(&shown(&chart)).await;
    assert!(!page.body().contains("5.6 mmol/L"), "{}", page.html);
    assert!(page.body().contains("4.1 mmol/L"), "{}", page.html);
    assert!(!page.body().contains("Latest abnormal"), "{}", page.html);
    let (_, found) = app.get(&insights, Some(&doctor)).await;
    assert!(!evidence(&found).contains(&mistaken), "{found}");
    let (_, read) = app.get(&summary, Some(&doctor)).await;
    assert!(abnormal_codes(&read).is_empty(), "{read}");
}
