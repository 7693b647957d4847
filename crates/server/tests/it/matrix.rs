//! The access matrix, as data (`access_matrix.txt`): every route of the router × every kind of
//! caller (role and relation to the patient) → the expected status. One test drives them all.
//!
//! - A route served but missing from the matrix, or listed but not served, fails the test.
//! - Each route runs in a fresh world: its own users, three charts, a record, an allergy, a
//!   problem, a prescription, a care team, a guardian, a trainee link, intern grants and an open
//!   emergency access.
//! - Where an authenticated caller is refused a patient's data (403 or 404), the body must carry
//!   none of it and the refusal must be in the audit trail.
//! - Every web form, posted by every caller without its CSRF token, or with it but from a
//!   foreign `Origin`, is 403 and changes nothing (no audit entry is written).
//!
//! `MEDVAULT_MATRIX_WRITE=path` writes the statuses actually seen, in the file's format, for review
//! (one file per part of the matrix: `path.1` to `path.4`).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use chrono::Duration;
use medvault_domain::appointments::{self as rules, Eligibility};
use medvault_domain::clinical::{AllergyStatus, Condition, ProblemStatus, Severity, Substance};
use medvault_domain::files::{FileKind, FileName};
use medvault_domain::institutions::{InstitutionKind, StaffRole, TimeZone};
use medvault_domain::labs::{Interpretation, LabSource, LabValue, LoincCode, TestName};
use medvault_domain::medication::{Dose, DrugName, Frequency, Route};
use medvault_domain::{
    Email, FileId, LabReportId, LabResultId, PatientId, PersonName, Role, UserId, UserStatus,
};
use medvault_store::repo::{
    access, alerts, allergies, appointments, care_team, files, institutions, lab_reports,
    lab_results, patients, prescriptions, problems, records, sessions, users,
};
use medvault_store::{AuditFilter, NewPatient, NewRecord, NewUser, SessionKind};
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};

use crate::helpers::{PASSWORD, TestApp, TestDb};

/// The kinds of caller, in the matrix's column order.
const CALLERS: [&str; 14] = [
    "anonymous",
    "admin",
    "doctor:care_team",
    "doctor:emergency",
    "doctor:unrelated",
    "trainee:linked",
    "trainee:unrelated",
    "intern:granted",
    "intern:unrelated",
    "patient:own",
    "patient:guardian",
    "patient:other",
    "staff:desk",
    "staff:outside",
];

const CSRF_COOKIE: &str = "matrix-csrf-cookie-value";

struct Row {
    method: Method,
    path: String,
    body: Option<String>,
    expected: Vec<u16>,
}

fn parse_matrix() -> Vec<Row> {
    include_str!("access_matrix.txt")
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .map(|line| {
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            assert_eq!(parts.len(), 3, "method path | body | statuses: {line}");
            let (method, path) = parts[0].split_once(' ').expect("method and path");
            let expected: Vec<u16> = parts[2]
                .split_whitespace()
                .map(|s| s.parse().expect("status"))
                .collect();
            assert_eq!(
                expected.len(),
                CALLERS.len(),
                "one status per caller: {line}"
            );
            Row {
                method: method.parse().expect("method"),
                path: path.to_owned(),
                body: (parts[1] != "-").then(|| parts[1].to_owned()),
                expected,
            }
        })
        .collect()
}

/// One caller's credentials.
struct Credentials {
    user_id: String,
    token: String,
    cookie: String,
}

/// Everything a route may need, made in one transaction.
struct World {
    callers: HashMap<&'static str, Credentials>,
    values: HashMap<&'static str, String>,
}

async fn world(app: &TestApp, n: usize, hash: &str) -> World {
    let hash = hash.to_owned();
    let now = app.clock.now();
    let tokens = app.state.tokens.clone();
    let mut world = app
        .state
        .write(move |conn| {
            let mut user = |name: &str,
                            role: Role,
                            status: UserStatus|
             -> Result<UserId, medvault::error::AppError> {
                let email = Email::parse(&format!("{}.{n}@matrix.test", name.replace(':', "-")))?;
                let person = PersonName::parse(&format!("Matrix {name}"))?;
                Ok(users::insert(
                    conn,
                    NewUser {
                        email: &email,
                        name: &person,
                        role,
                        status,
                        password_hash: &hash,
                    },
                    now,
                )?
                .id)
            };
            let mut ids: HashMap<&'static str, UserId> = HashMap::new();
            for (caller, role) in [
                ("admin", Role::Admin),
                ("doctor:care_team", Role::Doctor),
                ("doctor:emergency", Role::Doctor),
                ("doctor:unrelated", Role::Doctor),
                ("trainee:linked", Role::Trainee),
                ("trainee:unrelated", Role::Trainee),
                ("intern:granted", Role::Intern),
                ("intern:unrelated", Role::Intern),
                ("patient:own", Role::Patient),
                ("patient:guardian", Role::Patient),
                ("patient:other", Role::Patient),
                ("staff:desk", Role::Staff),
                ("staff:outside", Role::Staff),
            ] {
                ids.insert(caller, user(caller, role, UserStatus::Active)?);
            }
            let spare = user("spare", Role::Doctor, UserStatus::Pending)?;
            let spare_patient = user("spare:patient", Role::Patient, UserStatus::Active)?;
            let clerk = user("spare:clerk", Role::Staff, UserStatus::Active)?;
            let chart = |conn: &mut medvault_store::DbConnection, owner: UserId, name: &str| {
                let new = NewPatient {
                    name: PersonName::parse(name).expect("name"),
                    birth_date: None,
                    sex: Default::default(),
                    contact: Default::default(),
                    user_id: Some(owner),
                    created_by: None,
                };
                patients::insert(conn, new, now)
            };
            let target = chart(conn, ids["patient:own"], &format!("Matrix Target {n}"))?.id;
            let other = chart(conn, ids["patient:other"], &format!("Matrix Other {n}"))?.id;
            chart(
                conn,
                ids["patient:guardian"],
                &format!("Matrix Guardian {n}"),
            )?;
            care_team::add(conn, target, ids["doctor:care_team"], ids["admin"], now)?;
            access::add_guardian(conn, target, ids["patient:guardian"], ids["admin"], now)?;
            let note = NewRecord {
                patient_id: target,
                author_id: ids["doctor:care_team"],
                kind: medvault_domain::RecordKind::Diagnosis,
                title: medvault_domain::RecordTitle::parse("Matrix record")?,
                notes: medvault_domain::RecordNotes::parse(&format!("Matrix secret {n}"))?,
            };
            let record = records::insert(conn, note, now)?;
            let allergy = allergies::insert(
                conn,
                target,
                allergies::AllergyFields {
                    substance: Substance::parse("Matrix penicillin")?,
                    reaction: None,
                    severity: Some(Severity::Severe),
                    status: AllergyStatus::Active,
                },
                ids["doctor:care_team"],
                now,
            )?;
            let problem = problems::insert(
                conn,
                target,
                problems::ProblemFields {
                    condition: Condition::parse("Matrix asthma")?,
                    onset: None,
                    status: ProblemStatus::Active,
                },
                ids["doctor:care_team"],
                now,
            )?;
            let prescription = prescriptions::insert(
                conn,
                target,
                prescriptions::NewPrescription {
                    drug: DrugName::parse("Matrix metformin")?,
                    strength: None,
                    dose: Dose::parse("1 tablet")?,
                    route: Route::Oral,
                    frequency: Frequency::parse("twice a day")?,
                    duration: None,
                    quantity: None,
                    instructions: None,
                    acknowledged_warnings: None,
                },
                ids["doctor:care_team"],
                now,
            )?;
            let lab_result = lab_results::insert(
                conn,
                target,
                lab_results::NewLabResult {
                    code: Some(LoincCode::parse("2823-3")?),
                    test_name: TestName::parse("Matrix potassium")?,
                    value: LabValue::Number(6.1),
                    unit: None,
                    reference_low: Some(3.5),
                    reference_high: Some(5.1),
                    interpretation: Some(Interpretation::High),
                    collected_at: now,
                    source: LabSource::Entered,
                },
                ids["doctor:care_team"],
                now,
            )?;
            access::link_trainee(conn, target, ids["trainee:linked"], ids["admin"], now)?;
            let grant = access::issue_grant(
                conn,
                ids["intern:granted"],
                target,
                ids["doctor:care_team"],
                now,
                now + Duration::hours(8),
            )?;
            access::issue_grant(
                conn,
                ids["intern:unrelated"],
                other,
                ids["admin"],
                now,
                now + Duration::hours(8),
            )?;
            access::open_emergency_access(
                conn,
                ids["doctor:emergency"],
                target,
                "Matrix emergency reason",
                now,
                now + Duration::hours(1),
            )?;

            // Two institutions: the chart is registered at the first, where staff:desk is the
            // admin, doctor:care_team a clinician with hours, and a visit is booked; staff:outside
            // runs the second.
            let place = |conn: &mut medvault_store::DbConnection, name: &str, zone: &str| {
                let new = institutions::NewInstitution {
                    name,
                    kind: InstitutionKind::Clinic,
                    address: "",
                    time_zone: TimeZone::parse(zone).expect("zone"),
                    phone: None,
                    email: None,
                };
                institutions::create(conn, &new, ids["admin"], now)
            };
            let clinic = place(conn, "Matrix Clinic", "Europe/Lisbon")?;
            let elsewhere = place(conn, "Matrix Elsewhere", "America/New_York")?;
            let by = ids["admin"];
            institutions::put_member(conn, clinic, ids["staff:desk"], StaffRole::Admin, by, now)?;
            institutions::put_member(conn, clinic, clerk, StaffRole::Reception, by, now)?;
            let doctor = ids["doctor:care_team"];
            institutions::put_member(conn, clinic, doctor, StaffRole::Clinician, by, now)?;
            institutions::put_member(
                conn,
                elsewhere,
                ids["staff:outside"],
                StaffRole::Admin,
                by,
                now,
            )?;
            institutions::register(conn, target, clinic, by, now)?;
            let every_day = rules::WEEK
                .into_iter()
                .map(|weekday| rules::WeeklyHours {
                    weekday,
                    starts: rules::parse_clock("starts", "08:00").expect("time"),
                    ends: rules::parse_clock("ends", "20:00").expect("time"),
                })
                .collect();
            let week = rules::Availability::new(30, every_day)?;
            institutions::set_week(conn, doctor, clinic, (&week, &[]), by, now)?;
            appointments::set_coverage(conn, target, ("Matrix Health", "M-1", ""), by, now)?;
            let zone = TimeZone::parse("Europe/Lisbon").expect("zone");
            let ahead = rules::slots(
                &week,
                &[],
                zone,
                now + Duration::days(1),
                now + Duration::days(2),
            );
            let booked = appointments::book(
                conn,
                &appointments::NewAppointment {
                    patient_id: target,
                    doctor_id: doctor,
                    institution_id: clinic,
                    slot: ahead[0],
                    booked_by: by,
                    rescheduled_from: None,
                    eligibility: Eligibility::Pending,
                    check_after: now,
                },
                now,
            )?;

            let mut callers = HashMap::new();
            for (caller, id) in &ids {
                let api = sessions::insert(
                    conn,
                    *id,
                    SessionKind::Api,
                    None,
                    now,
                    now + Duration::hours(8),
                )?;
                let token = tokens.issue(
                    *id,
                    api.id,
                    now.and_utc().timestamp(),
                    (now + Duration::hours(8)).and_utc().timestamp(),
                )?;
                let cookie = format!("matrix-cookie-{n}-{}", caller.replace(':', "-"));
                let cookie_hash: String = Sha256::digest(cookie.as_bytes())
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                sessions::insert(
                    conn,
                    *id,
                    SessionKind::Web,
                    Some(&cookie_hash),
                    now,
                    now + Duration::hours(8),
                )?;
                callers.insert(
                    *caller,
                    Credentials {
                        user_id: id.to_string(),
                        token,
                        cookie,
                    },
                );
            }
            let values = HashMap::from([
                ("patient", target.to_string()),
                ("other_patient", other.to_string()),
                ("record", record.to_string()),
                ("allergy", allergy.to_string()),
                ("problem", problem.to_string()),
                ("prescription", prescription.to_string()),
                ("lab_result", lab_result.to_string()),
                ("grant", grant.id.to_string()),
                ("spare", spare.to_string()),
                ("doctor_id", ids["doctor:care_team"].to_string()),
                ("trainee_id", ids["trainee:linked"].to_string()),
                ("guardian_id", ids["patient:guardian"].to_string()),
                ("spare_patient", spare_patient.to_string()),
                (
                    "spare_patient_email",
                    format!("spare-patient.{n}@matrix.test"),
                ),
                ("doctor_unrelated", ids["doctor:unrelated"].to_string()),
                ("trainee_unrelated", ids["trainee:unrelated"].to_string()),
                ("intern_unrelated", ids["intern:unrelated"].to_string()),
                ("patient_email", format!("patient-own.{n}@matrix.test")),
                ("doctor_email", format!("doctor-unrelated.{n}@matrix.test")),
                (
                    "trainee_email",
                    format!("trainee-unrelated.{n}@matrix.test"),
                ),
                ("intern_email", format!("intern-unrelated.{n}@matrix.test")),
                ("institution", clinic.to_string()),
                ("appointment", booked.to_string()),
                ("user_id", clerk.to_string()),
                ("kind", "patients".to_owned()),
                ("slot", instant(ahead[2].starts)),
                ("other_slot", instant(ahead[4].starts)),
            ]);
            Ok(World { callers, values })
        })
        .await
        .expect("world");
    let target: PatientId = world.values["patient"].parse().expect("chart");
    let doctor: UserId = world.values["doctor_id"].parse().expect("doctor");
    // The chart's files: a note, a deleted note, and the scan a lab report was read from.
    let kept: [(&str, bool, &[u8], FileKind, &str); 3] = [
        ("file", false, b"Matrix file", FileKind::Text, "matrix.txt"),
        (
            "deleted_file",
            true,
            b"Matrix file",
            FileKind::Text,
            "matrix.txt",
        ),
        (
            "report_file",
            false,
            ONE_PIXEL_PNG,
            FileKind::Png,
            "report.png",
        ),
    ];
    for (name, deleted, content, kind, file_name) in kept {
        let id = FileId::new();
        let sealed = app
            .state
            .files
            .put(target, id, content.to_vec())
            .await
            .expect("stored");
        app.state
            .write(move |conn| {
                let new = files::NewFile {
                    id,
                    record_id: None,
                    name: FileName::parse(file_name)?,
                    kind,
                    size_bytes: i64::try_from(content.len()).expect("small"),
                    sha256: hex_sha256(content),
                    key_id: sealed.key_id,
                    nonce: sealed.nonce,
                    object_path: sealed.object_path,
                };
                files::insert(conn, target, new, doctor, now)?;
                if deleted {
                    let file = files::find(conn, id)?.expect("kept");
                    files::set_deleted(conn, &file, Some((doctor, now)))?;
                }
                Ok(())
            })
            .await
            .expect("file");
        world.values.insert(name, id.to_string());
    }
    let file: FileId = world.values["report_file"].parse().expect("file");
    let report = LabReportId::new();
    app.state
        .write(move |conn| {
            let new = lab_reports::NewLabReport {
                id: report,
                file_id: file,
                uploaded_by: doctor,
                patient_provided: false,
            };
            lab_reports::insert(conn, target, new, now)?;
            lab_reports::claim(
                conn,
                target,
                report,
                "matrix",
                now,
                now + Duration::minutes(5),
            )?;
            let read = lab_reports::ReadResult {
                pages: 1,
                text_source: "text-layer".into(),
                document_kind: "lab-report".into(),
                kind_confidence: 0.9,
                rows: vec![MATRIX_DRAFT_ROW.to_owned()],
            };
            lab_reports::finish_reading(conn, target, report, "matrix", read, now)?;
            Ok(())
        })
        .await
        .expect("lab report");
    world.values.insert("lab_report", report.to_string());
    let result: LabResultId = world.values["lab_result"].parse().expect("lab result");
    let alert = app
        .state
        .write(move |conn| {
            let critical = ("critical-value", "Matrix potassium 7.1 mmol/L is critical");
            Ok(alerts::raise(conn, target, result, critical, now)?)
        })
        .await
        .expect("alert");
    world.values.insert("alert", alert.to_string());
    world.values.insert("page", "1".to_owned());
    world
}

/// The smallest PNG: one transparent pixel.
const ONE_PIXEL_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// A row as the reader keeps it: potassium, 4.2 mmol/L, read from a text layer.
const MATRIX_DRAFT_ROW: &str = r#"{"page":1,"line":"Potassium 4.2 mmol/L 3.5-5.1","bounds":[0,0,1,1],"code":"2823-3","test_name":{"value":"Potassium","confidence":1.0},"value":{"value":4.2,"confidence":1.0},"unit":{"value":"mmol/L","confidence":1.0},"reference":{"value":{"low":3.5,"high":5.1},"confidence":1.0},"flag":null,"needs_review":false}"#;

/// An instant as the API and the forms take it (no `+`, which a form would read as a space).
fn instant(at: chrono::NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Fills `{id}` by the route's resource, and `{name}` placeholders from the world.
fn fill(template: &str, path: &str, world: &World, csrf: &str) -> String {
    let id = if path.contains("/records/{id}") {
        "record"
    } else if path.contains("/allergies/{id}") {
        "allergy"
    } else if path.contains("/problems/{id}") {
        "problem"
    } else if path.contains("/prescriptions/{id}") {
        "prescription"
    } else if path.contains("/lab-results/{id}") {
        "lab_result"
    } else if path.contains("/lab-reports/{id}") {
        "lab_report"
    } else if path.contains("/alerts/{id}") {
        "alert"
    } else if path.contains("/files/{id}/restore") {
        "deleted_file"
    } else if path.contains("/files/{id}") {
        "file"
    } else if path.contains("/users/{id}") {
        "spare"
    } else if path.contains("/intern-grants/{id}") {
        "grant"
    } else if path.contains("/institutions/{id}") {
        "institution"
    } else if path.contains("/appointments/{id}") {
        "appointment"
    } else if path.contains("/doctors/{id}") {
        "doctor_id"
    } else {
        "patient"
    };
    let mut text = template.replace("{id}", &world.values[id]);
    for (name, value) in &world.values {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    let unique = || uuid::Uuid::new_v4().simple().to_string();
    text.replace("{unique}", &unique())
        .replace("{ticket}", &unique())
        .replace("{password}", &PASSWORD.replace(' ', "+"))
        .replace("{csrf}", csrf)
}

/// The version of what a route changes (a record, an allergy, a problem, or else the chart),
/// straight from the database.
async fn current_version(app: &TestApp, route: &str, world: &World) -> i64 {
    let value = |name: &str| world.values[name].clone();
    let (record, allergy, problem, prescription, chart) = (
        value("record"),
        value("allergy"),
        value("problem"),
        value("prescription"),
        value("patient"),
    );
    let route = route.to_owned();
    app.state
        .read(move |conn| {
            Ok(if route.contains("/records/{id}") {
                records::find(conn, record.parse().expect("id"))?.map(|r| r.version)
            } else if route.contains("/allergies/{id}") {
                allergies::find(conn, allergy.parse().expect("id"))?.map(|a| a.version)
            } else if route.contains("/problems/{id}") {
                problems::find(conn, problem.parse().expect("id"))?.map(|p| p.version)
            } else if route.contains("/prescriptions/{id}") {
                prescriptions::find(conn, prescription.parse().expect("id"))?.map(|p| p.version)
            } else {
                patients::find(conn, chart.parse().expect("id"))?.map(|c| c.version)
            })
        })
        .await
        .expect("readable")
        .expect("there")
}

/// The body a row names `upload`: a small PDF, as `multipart/form-data`.
const UPLOAD: &str = "upload";

fn upload_body() -> (&'static str, Vec<u8>) {
    (
        "multipart/form-data; boundary=matrix-boundary",
        b"--matrix-boundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"note.pdf\"\r\n\r\n%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n\r\n--matrix-boundary--\r\n".to_vec(),
    )
}

/// Posts a web form as `credentials` without its CSRF token, and with it from a foreign origin:
/// both must be refused with 403 before anything happens. Returns what went wrong. An upload's
/// token rides in its address.
async fn forged_forms(
    app: &TestApp,
    path: &str,
    body: &str,
    credentials: Option<&Credentials>,
) -> Vec<String> {
    let without_token: String = body
        .split('&')
        .filter(|pair| !pair.starts_with("csrf="))
        .collect::<Vec<_>>()
        .join("&");
    let mut cookies = format!("mv_csrf={CSRF_COOKIE}");
    if let Some(credentials) = credentials {
        write!(cookies, "; mv_session={}", credentials.cookie).expect("string");
    }
    let mut problems = Vec::new();
    let token = body.strip_prefix(UPLOAD).unwrap_or_default();
    for (what, form, origin) in [
        ("without a token", without_token.as_str(), None),
        ("from a foreign origin", body, Some("https://evil.example")),
    ] {
        let newest = newest_entry(app).await;
        let mut request = app.http.post(app.url(path)).header("cookie", &cookies);
        request = if body.starts_with(UPLOAD) {
            let (content_type, bytes) = upload_body();
            let url = match origin {
                Some(_) => format!("{path}?csrf={token}"),
                None => path.to_owned(),
            };
            app.http
                .post(app.url(&url))
                .header("cookie", &cookies)
                .header("content-type", content_type)
                .body(bytes)
        } else {
            request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form.to_owned())
        };
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let status = request.send().await.expect("sent").status();
        if status != StatusCode::FORBIDDEN {
            problems.push(format!("a form {what} answered {status}, not 403"));
        }
        if newest_entry(app).await != newest {
            problems.push(format!("a form {what} changed something"));
        }
    }
    problems
}

/// The id of the audit trail's newest entry: every change writes one.
async fn newest_entry(app: &TestApp) -> Option<i64> {
    app.audit(AuditFilter::default())
        .await
        .first()
        .map(|row| row.id)
}

async fn denials_by(app: &TestApp, actor: &str) -> usize {
    app.audit(AuditFilter {
        actor_id: Some(actor.parse().unwrap()),
        outcome: Some("denied".into()),
        ..Default::default()
    })
    .await
    .len()
}

/// The matrix runs in this many parts, each a test of its own (rows `n` with `n % PARTS` equal
/// to the part), so that a test runner with several threads runs them at once: on Citus, where
/// every request crosses three servers, the whole matrix in one test was the suite's longest.
const PARTS: usize = 4;

#[tokio::test]
async fn every_route_answers_every_caller_as_the_matrix_says_part_1() {
    check_matrix(0).await;
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_matrix_says_part_2() {
    check_matrix(1).await;
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_matrix_says_part_3() {
    check_matrix(2).await;
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_matrix_says_part_4() {
    check_matrix(3).await;
}

async fn check_matrix(part: usize) {
    // No report is read meanwhile: the forged-form check counts what changes around each
    // request, and a reader's audit entries would be counted too.
    let app = TestApp::spawn_with(TestDb::new(), &[("MEDVAULT_LAB_WORKERS", "0")]).await;
    let rows = parse_matrix();

    let served: BTreeSet<(String, String)> = medvault::router::inventory()
        .expect("inventory")
        .into_iter()
        .map(|(method, path)| (method.to_string(), path))
        .collect();
    let listed: BTreeSet<(String, String)> = rows
        .iter()
        .map(|row| {
            let template = row.path.split('?').next().unwrap_or_default();
            (row.method.to_string(), template.to_owned())
        })
        .collect();
    let missing: Vec<_> = served.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "routes missing from access_matrix.txt: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "routes in access_matrix.txt that the router does not serve: {stale:?}"
    );

    let hash = app
        .state
        .passwords
        .hash(&medvault_domain::Password::parse(PASSWORD).expect("valid"))
        .await
        .expect("hash");
    let csrf_of = |credentials: Option<&Credentials>| {
        medvault::auth::csrf::token_for(
            &app.state.keys.csrf.current.bytes,
            credentials.map(|c| c.cookie.as_str()),
            CSRF_COOKIE,
        )
    };
    let mut report = String::new();
    let mut failures = Vec::new();
    for (n, row) in rows.iter().enumerate().filter(|(n, _)| n % PARTS == part) {
        let world = world(&app, n, &hash).await;
        let path = fill(&row.path, &row.path, &world, "");
        let api = row.path.starts_with("/api/");
        let mut seen = Vec::new();
        for (caller, expected) in CALLERS.iter().zip(&row.expected) {
            let credentials = world.callers.get(caller);
            let csrf = csrf_of(credentials);
            if !api && row.method == Method::POST {
                let body = match row.body.as_deref() {
                    Some(UPLOAD) => format!("{UPLOAD}{csrf}"),
                    other => fill(other.unwrap_or("csrf={csrf}"), &row.path, &world, &csrf),
                };
                failures.extend(
                    forged_forms(&app, &path, &body, credentials)
                        .await
                        .into_iter()
                        .map(|problem| {
                            format!("{} {} as {caller}: {problem}", row.method, row.path)
                        }),
                );
            }
            // The version of what the route changes, as it is now: what an edit names in
            // If-Match (API) or its form's version field (web). Earlier callers in the row may
            // have changed it.
            let version = current_version(&app, &row.path, &world).await;
            let uploads = row.body.as_deref() == Some(UPLOAD);
            let url = if uploads && !api {
                format!("{path}?csrf={csrf}")
            } else {
                path.clone()
            };
            let mut request = app.http.request(row.method.clone(), app.url(&url));
            if api && row.method != Method::GET {
                request = request.header("if-match", format!("\"{version}\""));
            }
            let mut cookies = format!("mv_csrf={CSRF_COOKIE}");
            if let Some(credentials) = credentials {
                if api {
                    request = request.bearer_auth(&credentials.token);
                } else {
                    write!(cookies, "; mv_session={}", credentials.cookie).expect("string");
                }
            }
            request = request.header("cookie", cookies);
            if uploads {
                let (content_type, bytes) = upload_body();
                request = request.header("content-type", content_type).body(bytes);
            } else if let Some(body) = &row.body {
                let body =
                    fill(body, &row.path, &world, &csrf).replace("{version}", &version.to_string());
                let content_type = if api {
                    "application/json"
                } else {
                    "application/x-www-form-urlencoded"
                };
                request = request.header("content-type", content_type).body(body);
            }
            let before = match credentials {
                Some(c) => denials_by(&app, &c.user_id).await,
                None => 0,
            };
            let response = request.send().await.expect("sent");
            let status = response.status();
            let text = response.text().await.expect("body");
            seen.push(status.as_u16());
            if status.as_u16() != *expected {
                failures.push(format!(
                    "{} {} as {caller}: expected {expected}, got {status}",
                    row.method, row.path
                ));
            }
            let refused = matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND);
            if refused && credentials.is_some() {
                for secret in [format!("Matrix Target {n}"), format!("Matrix secret {n}")] {
                    if text.contains(&secret) {
                        failures.push(format!(
                            "{} {} as {caller}: the refusal shows {secret:?}",
                            row.method, row.path
                        ));
                    }
                }
                if let Some(c) = credentials
                    && denials_by(&app, &c.user_id).await <= before
                {
                    failures.push(format!(
                        "{} {} as {caller}: refusal not audited",
                        row.method, row.path
                    ));
                }
            }
        }
        let statuses: Vec<String> = seen.iter().map(u16::to_string).collect();
        writeln!(
            report,
            "{} {} | {} | {}",
            row.method,
            row.path,
            row.body.as_deref().unwrap_or("-"),
            statuses.join(" ")
        )
        .expect("string");
    }
    if let Ok(path) = std::env::var("MEDVAULT_MATRIX_WRITE") {
        std::fs::write(format!("{path}.{}", part + 1), &report).expect("written");
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
