//! Institutions and appointments through the API: staff run their own institution, doctors set
//! their hours, patients and the front desk book, and the database keeps any two visits of one
//! doctor from overlapping, however many ask at once and at whichever institution.

use chrono::{Datelike, Duration, NaiveDateTime, Weekday};
use medvault_store::AuditFilter;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, answer, error_code};

/// A clinic and a hospital in one city, a doctor who works at both (30-minute visits at the
/// clinic from 09:00, 20-minute ones at the hospital from 10:00), and the clinic's admin.
pub struct Clinics {
    pub admin: String,
    pub clinic: String,
    pub hospital: String,
    pub doctor_id: String,
    pub doctor: String,
    pub desk_id: String,
    pub desk: String,
}

pub async fn clinics(app: &TestApp, tag: &str) -> Clinics {
    let admin = app.admin_token().await;
    let open = |name: String| {
        let admin = admin.clone();
        async move {
            let body = json!({"name": name, "kind": "clinic", "time_zone": "Europe/Lisbon",
                "address": "Rua Augusta 1\nLisboa", "phone": "+351 21 000 0000"});
            let (status, place) = app.post("/api/v1/institutions", Some(&admin), &body).await;
            assert_eq!(status, StatusCode::CREATED, "{place}");
            place["id"].as_str().expect("id").to_owned()
        }
    };
    let clinic = open(format!("Clinic {tag}")).await;
    let hospital = open(format!("Hospital {tag}")).await;
    let (doctor_id, doctor) = app.doctor(&format!("dr.{tag}@example.org")).await;
    let desk_email = format!("desk.{tag}@example.org");
    let desk_id = app.staff(&desk_email, "staff").await;
    let desk = app.login(&desk_email, crate::helpers::PASSWORD).await;
    for (place, user, role) in [
        (&clinic, &doctor_id, "clinician"),
        (&hospital, &doctor_id, "clinician"),
        (&clinic, &desk_id, "admin"),
    ] {
        let (status, body) = app
            .post(
                &format!("/api/v1/institutions/{place}/staff"),
                Some(&admin),
                &json!({"user_id": user, "role": role}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let every_day = |starts: &str, ends: &str| -> Vec<Value> {
        [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ]
        .iter()
        .map(|day| json!({"weekday": day, "starts": starts, "ends": ends}))
        .collect()
    };
    let hours = [
        (&clinic, 30, every_day("09:00", "17:00")),
        (&hospital, 20, every_day("10:00", "16:00")),
    ];
    for (place, minutes, week) in hours {
        let body = json!({"institution_id": place, "slot_minutes": minutes, "hours": week});
        let (status, saved) = app
            .put(
                &format!("/api/v1/doctors/{doctor_id}/availability"),
                Some(&doctor),
                &body,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
    }
    Clinics {
        admin,
        clinic,
        hospital,
        doctor_id,
        doctor,
        desk_id,
        desk,
    }
}

/// The doctor's free slots at `place` on the day after tomorrow.
pub async fn slots_at(app: &TestApp, c: &Clinics, place: &str) -> Vec<Value> {
    let day = (app.clock.now() + Duration::days(2)).date();
    let path = format!(
        "/api/v1/doctors/{}/slots?from={day}&to={}&institution_id={place}",
        c.doctor_id,
        day + Duration::days(1)
    );
    let (status, slots) = app.get(&path, Some(&c.doctor)).await;
    assert_eq!(status, StatusCode::OK, "{slots}");
    slots.as_array().expect("list").clone()
}

/// A new chart registered at the clinic by its front desk: its id.
pub async fn registered(app: &TestApp, c: &Clinics, name: &str) -> String {
    let (status, chart) = app
        .post(
            &format!("/api/v1/institutions/{}/patients", c.clinic),
            Some(&c.desk),
            &json!({"name": name, "birth_date": "1980-05-01", "sex": "female"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{chart}");
    chart["id"].as_str().expect("id").to_owned()
}

pub fn booking(c: &Clinics, patient: &str, place: &str, start: &Value) -> Value {
    json!({"doctor_id": c.doctor_id, "patient_id": patient, "institution_id": place, "start": start})
}

fn at(value: &Value) -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(value.as_str().expect("time"))
        .expect("rfc 3339")
        .naive_utc()
}

#[tokio::test]
async fn fifty_bookings_of_one_slot_at_once_make_exactly_one_visit() {
    let app = TestApp::spawn().await;
    let c = clinics(&app, "fifty").await;
    let mut charts = Vec::new();
    for n in 0..50 {
        charts.push(registered(&app, &c, &format!("Patient {n}")).await);
    }
    let slot = slots_at(&app, &c, &c.clinic).await[3]["start"].clone();
    let mut asking = tokio::task::JoinSet::new();
    for chart in &charts {
        let request = app
            .http
            .post(app.url("/api/v1/appointments"))
            .bearer_auth(&c.desk)
            .json(&booking(&c, chart, &c.clinic, &slot));
        asking.spawn(async move { answer(request.send().await.expect("sent")).await });
    }
    let answers = asking.join_all().await;
    let booked: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(booked.len(), 1, "exactly one booking: {answers:?}");
    for (status, body) in &answers {
        assert!(
            *status == StatusCode::CREATED
                || (*status == StatusCode::CONFLICT && error_code(body) == "slot_taken"),
            "{status} {body}"
        );
    }
    // The schedule holds that one visit, and the slot is no longer offered.
    let day = at(&slot).date();
    let (status, schedule) = app
        .get(
            &format!(
                "/api/v1/doctors/{}/appointments?from={day}&to={}",
                c.doctor_id,
                day + Duration::days(1)
            ),
            Some(&c.doctor),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{schedule}");
    let visits = schedule.as_array().expect("list");
    assert_eq!(visits.len(), 1, "{schedule}");
    assert_eq!(visits[0]["start"], slot);
    assert!(
        visits[0]["patient_name"]
            .as_str()
            .is_some_and(|name| name.starts_with("Patient"))
    );
    assert!(
        !slots_at(&app, &c, &c.clinic)
            .await
            .iter()
            .any(|free| free["start"] == slot)
    );
}

#[tokio::test]
async fn a_doctor_cannot_be_booked_twice_at_once_across_two_institutions() {
    let app = TestApp::spawn().await;
    let c = clinics(&app, "overlap").await;
    let first = registered(&app, &c, "First Patient").await;
    let second = registered(&app, &c, "Second Patient").await;
    // The clinic's 10:00–10:30 visit...
    let clinic_slots = slots_at(&app, &c, &c.clinic).await;
    let ten = clinic_slots
        .iter()
        .find(|s| {
            s["local_start"]
                .as_str()
                .is_some_and(|t| t.contains("T10:00"))
        })
        .expect("a 10:00 slot")
        .clone();
    let (status, visit) = app
        .post(
            "/api/v1/appointments",
            Some(&c.desk),
            &booking(&c, &first, &c.clinic, &ten["start"]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{visit}");
    assert_eq!(
        visit["local_start"].as_str().map(|t| &t[11..16]),
        Some("10:00")
    );
    // ...overlaps the hospital's 10:20–10:40, which is offered no more and cannot be booked.
    let hospital_slots = slots_at(&app, &c, &c.hospital).await;
    let local_times: Vec<&str> = hospital_slots
        .iter()
        .filter_map(|s| s["local_start"].as_str().map(|t| &t[11..16]))
        .collect();
    assert_eq!(local_times.first(), Some(&"10:40"), "{local_times:?}");
    let twenty_past = json!(
        (at(&ten["start"]) + Duration::minutes(20))
            .and_utc()
            .to_rfc3339()
    );
    // At the hospital, the system admin registers the second patient and books for them.
    let admin = c.admin.clone();
    let (status, body) = app
        .post(
            &format!("/api/v1/institutions/{}/patients", c.hospital),
            Some(&admin),
            &json!({"patient_id": second}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app
        .post(
            "/api/v1/appointments",
            Some(&admin),
            &booking(&c, &second, &c.hospital, &twenty_past),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "slot_taken");
    let (status, body) = app
        .post(
            "/api/v1/appointments",
            Some(&admin),
            &booking(&c, &second, &c.hospital, &hospital_slots[0]["start"]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn cancelled_and_moved_visits_stay_as_history_and_free_their_slot() {
    let app = TestApp::spawn().await;
    let c = clinics(&app, "history").await;
    let (chart, patient) = app.patient("history.patient@example.org").await;
    let slots = slots_at(&app, &c, &c.clinic).await;
    // The patient books for themselves, and is registered at the clinic by it.
    let (status, visit) = app
        .post(
            "/api/v1/appointments",
            Some(&patient),
            &booking(&c, &chart, &c.clinic, &slots[0]["start"]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{visit}");
    assert_eq!(visit["status"], "booked");
    assert_eq!(visit["eligibility"]["status"], "no_coverage");
    let id = visit["id"].as_str().expect("id").to_owned();
    let (status, _) = app
        .get(
            &format!("/api/v1/institutions/{}/patients", c.clinic),
            Some(&c.desk),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Cancelled: kept, and its slot can be booked again (by someone else, here).
    let (status, cancelled) = app
        .post(
            &format!("/api/v1/appointments/{id}/cancel"),
            Some(&patient),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    let (status, again) = app
        .post(
            &format!("/api/v1/appointments/{id}/cancel"),
            Some(&patient),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(error_code(&again), "not_booked");
    let other = registered(&app, &c, "Other Patient").await;
    let (status, rebooked) = app
        .post(
            "/api/v1/appointments",
            Some(&c.desk),
            &booking(&c, &other, &c.clinic, &slots[0]["start"]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rebooked}");

    // Moved: the old visit is kept as rescheduled, the new one names it; a move onto a taken
    // slot changes nothing.
    let (_, second) = app
        .post(
            "/api/v1/appointments",
            Some(&patient),
            &booking(&c, &chart, &c.clinic, &slots[1]["start"]),
        )
        .await;
    let second_id = second["id"].as_str().expect("id").to_owned();
    let (status, refused) = app
        .post(
            &format!("/api/v1/appointments/{second_id}/reschedule"),
            Some(&patient),
            &json!({"start": slots[0]["start"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    let (_, still) = app
        .get(&format!("/api/v1/appointments/{second_id}"), Some(&patient))
        .await;
    assert_eq!(still["status"], "booked", "a refused move leaves the visit");
    let (status, moved) = app
        .post(
            &format!("/api/v1/appointments/{second_id}/reschedule"),
            Some(&c.doctor),
            &json!({"start": slots[2]["start"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{moved}");
    assert_eq!(moved["rescheduled_from"], second_id.as_str());
    assert_eq!(moved["start"], slots[2]["start"]);

    let (status, history) = app
        .get(
            &format!("/api/v1/patients/{chart}/appointments"),
            Some(&patient),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let statuses: Vec<&str> = history
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|v| v["status"].as_str())
        .collect();
    assert_eq!(statuses, ["cancelled", "rescheduled", "booked"]);
    // Every act is in the trail, once.
    for action in [
        "appointment.book",
        "appointment.cancel",
        "appointment.reschedule",
    ] {
        let entries = app
            .audit(AuditFilter {
                actions: vec![action.into()],
                outcome: Some("success".into()),
                ..Default::default()
            })
            .await;
        assert!(!entries.is_empty(), "{action} audited");
    }
}

#[tokio::test]
async fn a_patient_can_neither_book_nor_see_anothers_visits() {
    let app = TestApp::spawn().await;
    let c = clinics(&app, "privacy").await;
    let (chart, patient) = app.patient("privacy.one@example.org").await;
    let (_, stranger) = app.patient("privacy.two@example.org").await;
    let slots = slots_at(&app, &c, &c.clinic).await;
    let (status, visit) = app
        .post(
            "/api/v1/appointments",
            Some(&patient),
            &booking(&c, &chart, &c.clinic, &slots[0]["start"]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{visit}");
    let id = visit["id"].as_str().expect("id");
    let (status, _) = app
        .post(
            "/api/v1/appointments",
            Some(&stranger),
            &booking(&c, &chart, &c.clinic, &slots[1]["start"]),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for path in [
        format!("/api/v1/appointments/{id}"),
        format!("/api/v1/patients/{chart}/appointments"),
        format!("/api/v1/patients/{chart}/coverage"),
    ] {
        let (status, body) = app.get(&path, Some(&stranger)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(!body.to_string().contains(&chart), "{body}");
    }
    for action in ["cancel", "reschedule"] {
        let (status, _) = app
            .post(
                &format!("/api/v1/appointments/{id}/{action}"),
                Some(&stranger),
                &json!({"start": slots[2]["start"]}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{action}");
    }
    let (_, still) = app
        .get(&format!("/api/v1/appointments/{id}"), Some(&patient))
        .await;
    assert_eq!(still["status"], "booked");
    let denials = app
        .audit(AuditFilter {
            outcome: Some("denied".into()),
            patient_id: Some(chart.parse().expect("id")),
            ..Default::default()
        })
        .await;
    assert_eq!(denials.len(), 6, "each refusal audited once");
}

#[tokio::test]
async fn an_institution_is_run_by_its_own_admin_and_hidden_from_outsiders() {
    let app = TestApp::spawn().await;
    let c = clinics(&app, "scope").await;
    let staff = format!("/api/v1/institutions/{}/staff", c.clinic);
    // The clinic's admin gives the front desk a place, changes it, and takes it back.
    let clerk = app.staff("clerk.scope@example.org", "staff").await;
    let (status, member) = app
        .post(
            &staff,
            Some(&c.desk),
            &json!({"email": "clerk.scope@example.org", "role": "reception"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{member}");
    assert_eq!(member["role"], "reception");
    let (status, member) = app
        .post(
            &staff,
            Some(&c.desk),
            &json!({"user_id": clerk, "role": "admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{member}");
    assert_eq!(member["role"], "admin");
    // A place must fit the account: a staff account treats no one.
    let (status, refused) = app
        .post(
            &staff,
            Some(&c.desk),
            &json!({"user_id": clerk, "role": "clinician"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("role"))
    );
    assert_eq!(
        app.delete(&format!("{staff}/{clerk}"), Some(&c.desk)).await,
        StatusCode::NO_CONTENT
    );

    // The hospital's staff see nothing of the clinic's patients, and cannot manage its staff.
    let outsider_id = app.staff("outsider.scope@example.org", "staff").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/institutions/{}/staff", c.hospital),
            Some(&c.admin),
            &json!({"user_id": outsider_id, "role": "admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let outsider = app
        .login("outsider.scope@example.org", crate::helpers::PASSWORD)
        .await;
    let chart = registered(&app, &c, "Scoped Patient").await;
    for path in [
        format!("/api/v1/institutions/{}/patients", c.clinic),
        format!("/api/v1/patients/{chart}"),
    ] {
        let (status, _) = app.get(&path, Some(&outsider)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) = app
        .post(
            &staff,
            Some(&outsider),
            &json!({"user_id": outsider_id, "role": "admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The clinic's own desk sees its patient's demographics, not their records.
    let (status, seen) = app
        .get(&format!("/api/v1/patients/{chart}"), Some(&c.desk))
        .await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    let (status, _) = app
        .get(&format!("/api/v1/patients/{chart}/records"), Some(&c.desk))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A staff account's patient list holds the charts at its desks only.
    let (_, list) = app.get("/api/v1/patients", Some(&c.desk)).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
    let (_, list) = app.get("/api/v1/patients", Some(&outsider)).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
    // Everyone sees where care is given, and who they may book with.
    let (_, stranger) = app.patient("stranger.scope@example.org").await;
    let (status, places) = app.get("/api/v1/institutions", Some(&stranger)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(places.as_array().is_some_and(|all| all.len() >= 2));
    let (_, bookable) = app.get(&staff, Some(&stranger)).await;
    let roles: Vec<&str> = bookable
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|m| m["role"].as_str())
        .collect();
    assert_eq!(roles, ["clinician"], "{bookable}");
    assert!(bookable[0].get("email").is_none(), "{bookable}");
    let _ = c.desk_id;
}

#[tokio::test]
async fn bad_schedules_and_bookings_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let c = clinics(&app, "input").await;
    let chart = registered(&app, &c, "Input Patient").await;
    let availability = format!("/api/v1/doctors/{}/availability", c.doctor_id);
    let week = |minutes: u32, starts: &str, ends: &str, zone_day: &str| {
        json!({"institution_id": c.clinic, "slot_minutes": minutes,
            "hours": [{"weekday": zone_day, "starts": starts, "ends": ends}]})
    };
    for (body, field) in [
        (week(7, "09:00", "12:00", "monday"), "slot_minutes"),
        (week(30, "12:00", "09:00", "monday"), "hours"),
        (week(30, "9h", "12:00", "monday"), "starts"),
        (week(30, "09:00", "12:00", "someday"), "weekday"),
    ] {
        let (status, body) = app.put(&availability, Some(&c.doctor), &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(field)),
            "{field}: {body}"
        );
    }
    let (status, body) = app
        .post(
            "/api/v1/institutions",
            Some(&c.admin),
            &json!({"name": "Nowhere", "kind": "clinic", "time_zone": "Mars/Olympus"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("time_zone"))
    );

    let now = app.clock.now();
    let mut next_monday = (now + Duration::days(1)).date();
    while next_monday.weekday() != Weekday::Mon {
        next_monday += Duration::days(1);
    }
    for (start, field) in [
        (json!("tomorrow at nine"), "start"),
        (json!("2001-01-01T09:00:00Z"), "start"),
        (json!(format!("{next_monday}T09:10:00+00:00")), "start"),
    ] {
        let (status, body) = app
            .post(
                "/api/v1/appointments",
                Some(&c.desk),
                &booking(&c, &chart, &c.clinic, &start),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{start}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(field))
        );
    }
    let (status, body) = app
        .get(
            &format!(
                "/api/v1/doctors/{}/slots?from=2026-07-10&to=2026-07-01",
                c.doctor_id
            ),
            Some(&c.desk),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app
        .get(
            &format!(
                "/api/v1/doctors/{}/slots?from=2026-01-01&to=2026-12-31",
                c.doctor_id
            ),
            Some(&c.desk),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn on_the_web_a_patient_books_from_a_week_of_free_times_and_cancels() {
    let app = TestApp::spawn().await;
    let c = clinics(&app, "webvisit").await;
    let (chart, _) = app.patient("web.visit@example.org").await;
    let mut web = crate::web::WebSession::new(&app);
    web.sign_in("web.visit@example.org", crate::helpers::PASSWORD)
        .await;
    let visits = web.get("/appointments").await;
    assert_eq!(visits.status, StatusCode::OK);
    assert!(
        visits.body().contains("No visits booked."),
        "{}",
        visits.body()
    );
    let choice = format!("{}|{}", c.doctor_id, c.clinic);
    assert!(visits.body().contains(&choice), "the doctor is offered");

    // A week of the doctor's free times, on the clinic's clock, each a button.
    let week = web
        .get(&format!(
            "/appointments/book?with={}",
            choice.replace('|', "%7C")
        ))
        .await;
    assert_eq!(week.status, StatusCode::OK, "{}", week.body());
    assert!(week.body().contains("Europe/Lisbon"));
    assert!(week.has_form("/appointments"));
    let start = first_time(&week);
    let csrf = week.csrf();
    let booked = web
        .post(
            "/appointments",
            &[
                ("csrf", csrf.as_str()),
                ("doctor_id", c.doctor_id.as_str()),
                ("institution_id", c.clinic.as_str()),
                ("patient_id", chart.as_str()),
                ("start", start.as_str()),
            ],
        )
        .await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER);
    assert_eq!(booked.location(), Some("/appointments?notice=visit_booked"));
    let visits = web.get("/appointments?notice=visit_booked").await;
    assert!(visits.body().contains("Visit booked."));
    assert!(visits.body().contains("Dr. Test"), "{}", visits.body());
    assert!(visits.body().contains("no insurance on file"));
    // The dashboard shows it too; and the time is no longer offered.
    let home = web.get("/patient/dashboard").await;
    assert!(home.body().contains("Your upcoming visits"));
    assert!(home.body().contains("Clinic webvisit"), "{}", home.body());
    let week = web
        .get(&format!(
            "/appointments/book?with={}",
            choice.replace('|', "%7C")
        ))
        .await;
    assert!(!week.body().contains(&start));

    // The doctor sees it in their week, with the patient's name.
    let mut doctor = crate::web::WebSession::new(&app);
    doctor
        .sign_in("dr.webvisit@example.org", crate::helpers::PASSWORD)
        .await;
    let day = at_day(&start);
    let schedule = doctor.get(&format!("/appointments?from={day}")).await;
    assert!(
        schedule.body().contains("Pat Patient"),
        "{}",
        schedule.body()
    );

    // Moved from its button to another free time: the earlier one is free again.
    let visits = web.get("/appointments").await;
    let id = first_visit(&visits);
    let offered = web.get(&format!("/appointments/book?move={id}")).await;
    assert_eq!(offered.status, StatusCode::OK, "{}", offered.body());
    assert!(offered.body().contains("Move the visit with Dr. Test"));
    let action = format!("/appointments/{id}/reschedule");
    assert!(offered.has_form(&action));
    let later = first_time(&offered);
    assert_ne!(later, start);
    let moved = web
        .post(
            &action,
            &[("csrf", offered.csrf().as_str()), ("start", later.as_str())],
        )
        .await;
    assert_eq!(moved.location(), Some("/appointments?notice=visit_moved"));
    let visits = web.get("/appointments?notice=visit_moved").await;
    assert!(visits.body().contains("Visit moved"));
    assert!(visits.body().contains("rescheduled"), "{}", visits.body());
    let id = first_visit(&visits);
    let week = web
        .get(&format!(
            "/appointments/book?with={}",
            choice.replace('|', "%7C")
        ))
        .await;
    assert!(week.body().contains(&start), "the earlier time is free");
    assert!(!week.body().contains(&later));

    // Cancelled from its button: gone from what is coming, kept in the history.
    let cancelled = web
        .post(
            &format!("/appointments/{id}/cancel"),
            &[("csrf", visits.csrf().as_str())],
        )
        .await;
    assert_eq!(
        cancelled.location(),
        Some("/appointments?notice=visit_cancelled")
    );
    let visits = web.get("/appointments").await;
    assert!(visits.body().contains("No visits booked."));
    assert!(visits.body().contains("cancelled"));
}

/// The first free time a booking page offers, as its button sends it.
fn first_time(page: &crate::web::Page) -> String {
    quoted_after(page, r#"name="start" value=""#)
}

/// The id of the first visit a visits page offers to change.
fn first_visit(page: &crate::web::Page) -> String {
    quoted_after(page, "/appointments/book?move=")
}

/// What follows the first `marker` in a page, up to the next quotation mark.
fn quoted_after(page: &crate::web::Page, marker: &str) -> String {
    let at = page.body().find(marker).expect(marker) + marker.len();
    page.body()[at..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn on_the_web_the_front_desk_finds_a_patient_and_books_moves_and_cancels_for_them() {
    let app = TestApp::spawn().await;
    let c = clinics(&app, "webdesk").await;
    let chart = registered(&app, &c, "Wanda Walk-in").await;
    let mut desk = crate::web::WebSession::new(&app);
    desk.sign_in("desk.webdesk@example.org", crate::helpers::PASSWORD)
        .await;

    // The desk finds the chart among the institution's patients, and its visits from there.
    let found = desk.get("/staff/dashboard?patient=walk-in").await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body());
    let visits_link = format!("/appointments?patient={chart}");
    assert!(found.body().contains(&visits_link), "{}", found.body());
    let none = desk.get("/staff/dashboard?patient=nobody").await;
    assert!(none.body().contains("No chart matches."));
    let opened = desk.get(&format!("/patients/{chart}")).await;
    assert!(
        opened.body().contains(&visits_link),
        "the chart links its visits"
    );

    let visits = desk.get(&visits_link).await;
    assert_eq!(visits.status, StatusCode::OK, "{}", visits.body());
    assert!(visits.body().contains("Visits of"));
    assert!(visits.body().contains("Book a visit for Wanda Walk-in"));
    assert!(
        visits
            .body()
            .contains(&format!(r#"name="patient" value="{chart}""#))
    );

    let week = desk
        .get(&format!(
            "/appointments/book?with={}%7C{}&patient={chart}",
            c.doctor_id, c.clinic
        ))
        .await;
    assert_eq!(week.status, StatusCode::OK, "{}", week.body());
    let start = first_time(&week);
    let booked = desk
        .post(
            "/appointments",
            &[
                ("csrf", week.csrf().as_str()),
                ("doctor_id", c.doctor_id.as_str()),
                ("institution_id", c.clinic.as_str()),
                ("patient_id", chart.as_str()),
                ("start", start.as_str()),
            ],
        )
        .await;
    let back = format!("{visits_link}&notice=visit_booked");
    assert_eq!(booked.location(), Some(back.as_str()));
    let visits = desk.get(&back).await;
    assert!(visits.body().contains("Visit booked."));
    let id = first_visit(&visits);
    let (status, visit) = app
        .get(&format!("/api/v1/appointments/{id}"), Some(&c.desk))
        .await;
    assert_eq!(status, StatusCode::OK, "{visit}");
    assert_eq!(visit["patient_id"], json!(chart));

    // Moved, then cancelled, by the desk; the chart keeps both as history.
    let offered = desk.get(&format!("/appointments/book?move={id}")).await;
    let later = first_time(&offered);
    let moved = desk
        .post(
            &format!("/appointments/{id}/reschedule"),
            &[("csrf", offered.csrf().as_str()), ("start", later.as_str())],
        )
        .await;
    assert_eq!(
        moved.location(),
        Some(format!("{visits_link}&notice=visit_moved").as_str())
    );
    let visits = desk.get(&visits_link).await;
    let id = first_visit(&visits);
    let cancelled = desk
        .post(
            &format!("/appointments/{id}/cancel"),
            &[("csrf", visits.csrf().as_str())],
        )
        .await;
    assert_eq!(
        cancelled.location(),
        Some(format!("{visits_link}&notice=visit_cancelled").as_str())
    );
    let (_, all) = app
        .get(
            &format!("/api/v1/patients/{chart}/appointments"),
            Some(&c.desk),
        )
        .await;
    let statuses: Vec<&str> = all
        .as_array()
        .expect("list")
        .iter()
        .map(|v| v["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses.len(), 2, "{all}");
    assert!(statuses.contains(&"rescheduled") && statuses.contains(&"cancelled"));

    // A patient of no institution of the desk's is not found from it.
    let (elsewhere, _) = app.patient("not.here@example.org").await;
    let refused = desk
        .get(&format!("/appointments?patient={elsewhere}"))
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

/// The UTC day of an RFC 3339 instant.
fn at_day(start: &str) -> String {
    at(&json!(start)).date().to_string()
}

#[tokio::test]
async fn on_the_web_an_institutions_admin_sets_a_doctors_hours() {
    let app = TestApp::spawn().await;
    let c = clinics(&app, "webhours").await;
    let mut web = crate::web::WebSession::new(&app);
    web.sign_in("desk.webhours@example.org", crate::helpers::PASSWORD)
        .await;
    let path = format!("/institutions/{}/doctors/{}/hours", c.clinic, c.doctor_id);
    let form = web.get(&path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body());
    assert!(
        form.body().contains(r#"value="09:00-17:00""#),
        "the week as it is"
    );
    let saved = web
        .post(
            &path,
            &[
                ("csrf", form.csrf().as_str()),
                ("slot_minutes", "60"),
                ("monday", "10:00-12:00"),
                ("time_off", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body());
    let (_, weeks) = app
        .get(
            &format!("/api/v1/doctors/{}/availability", c.doctor_id),
            Some(&c.doctor),
        )
        .await;
    let clinic = weeks
        .as_array()
        .expect("weeks")
        .iter()
        .find(|w| w["institution_id"] == c.clinic.as_str())
        .expect("the clinic's week")
        .clone();
    assert_eq!(clinic["slot_minutes"], 60);
    assert_eq!(
        clinic["hours"],
        json!([{"weekday": "monday", "starts": "10:00", "ends": "12:00"}])
    );
    // Hours that cannot be are refused, naming what is wrong; the week stays.
    let refused = web
        .post(
            &path,
            &[
                ("csrf", form.csrf().as_str()),
                ("slot_minutes", "60"),
                ("monday", "9 to 5"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body().contains("hours"));
}
