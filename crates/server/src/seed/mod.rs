//! `medvault seed --demo`: a small, believable data set to try MedVault with; and
//! `medvault seed --scale` ([`scale`]): a hospital's worth of data, for load tests.

pub mod scale;
mod visits;

use chrono::NaiveDate;
use medvault_domain::AuditAction;
use medvault_domain::{
    Actor, Change, ContactEdit, Email, InvalidValue, LanguageTag, Password, PersonName, Phone,
    RecordKind, RecordNotes, RecordTitle, Role, Sex, UserStatus,
};
use medvault_store::repo::{access, care_team, patients, records, users};
use medvault_store::{NewPatient, NewRecord, NewUser};

use crate::app::AppState;
use crate::audit::{self, Event, RequestMeta};
use crate::error::AppError;
use crate::server::anyhow_of;

struct DemoUser {
    email: &'static str,
    password: &'static str,
    name: &'static str,
    role: Role,
    /// Everyone is active but one doctor, who waits for an admin's approval.
    status: UserStatus,
    /// Patients: date of birth and sex.
    born: Option<(i32, u32, u32, Sex)>,
}

/// How to reach a demo patient: Sofia's chart shows a whole profile; the others leave theirs
/// to be filled in.
fn demo_contact(email: &str) -> Result<ContactEdit, InvalidValue> {
    use medvault_domain::profile::{AddressLine, City, Country, PostalCode, Relationship};
    if email != "sofia@demo.medvault.test" {
        return Ok(ContactEdit::default());
    }
    Ok(ContactEdit {
        phone: Change::Set(Phone::parse("+39 06 0000 0101")?),
        email: Change::Set(Email::parse(email)?),
        address_line: Change::Set(AddressLine::parse("Via Nazionale 12")?),
        city: Change::Set(City::parse("Roma")?),
        postal_code: Change::Set(PostalCode::parse("00184")?),
        country: Change::Set(Country::parse("Italy")?),
        emergency_contact_name: Change::Set(PersonName::parse("Marco Rossi")?),
        emergency_contact_relationship: Change::Set(Relationship::parse("husband")?),
        emergency_contact_phone: Change::Set(Phone::parse("+39 333 000 0102")?),
        preferred_language: Change::Set(LanguageTag::parse("it")?),
        ..ContactEdit::default()
    })
}

const USERS: [DemoUser; 10] = [
    DemoUser {
        email: "admin@demo.medvault.test",
        password: "demo-admin-passphrase",
        name: "Avery Admin",
        role: Role::Admin,
        status: UserStatus::Active,
        born: None,
    },
    DemoUser {
        email: "dr.okafor@demo.medvault.test",
        password: "demo-doctor-passphrase",
        name: "Dr. Amara Okafor",
        role: Role::Doctor,
        status: UserStatus::Active,
        born: None,
    },
    DemoUser {
        email: "dr.meyer@demo.medvault.test",
        password: "demo-doctor-passphrase",
        name: "Dr. Lukas Meyer",
        role: Role::Doctor,
        status: UserStatus::Active,
        born: None,
    },
    DemoUser {
        email: "sofia@demo.medvault.test",
        password: "demo-patient-passphrase",
        name: "Sofia Rossi",
        role: Role::Patient,
        status: UserStatus::Active,
        born: Some((1987, 4, 12, Sex::Female)),
    },
    DemoUser {
        email: "kenji@demo.medvault.test",
        password: "demo-patient-passphrase",
        name: "Kenji Tanaka",
        role: Role::Patient,
        status: UserStatus::Active,
        born: Some((1959, 11, 3, Sex::Male)),
    },
    DemoUser {
        email: "maria@demo.medvault.test",
        password: "demo-patient-passphrase",
        name: "María García",
        role: Role::Patient,
        status: UserStatus::Active,
        born: Some((2001, 7, 28, Sex::Female)),
    },
    DemoUser {
        email: "trainee@demo.medvault.test",
        password: "demo-trainee-passphrase",
        name: "Tomás Trainee",
        role: Role::Trainee,
        status: UserStatus::Active,
        born: None,
    },
    DemoUser {
        email: "intern@demo.medvault.test",
        password: "demo-intern-passphrase",
        name: "Ines Intern",
        role: Role::Intern,
        status: UserStatus::Active,
        born: None,
    },
    DemoUser {
        email: "dr.nakamura@demo.medvault.test",
        password: "demo-pending-passphrase",
        name: "Dr. Hana Nakamura",
        role: Role::Doctor,
        status: UserStatus::Pending,
        born: None,
    },
    DemoUser {
        email: "desk@demo.medvault.test",
        password: "demo-staff-passphrase",
        name: "Giulia Bianchi",
        role: Role::Staff,
        status: UserStatus::Active,
        born: None,
    },
];

/// The trainee (index 6) is linked to Kenji (4); the intern (7) holds an 8-hour grant for
/// Sofia (3), issued by Dr. Okafor (1).
const TRAINEE_LINK: (usize, usize) = (6, 4);
const INTERN_GRANT: (usize, usize, usize) = (7, 3, 1);

/// (doctor index, patient index) pairs, into `USERS`.
const CARE_TEAMS: [(usize, usize); 4] = [(1, 3), (1, 4), (2, 4), (2, 5)];

/// (author, patient, title, notes).
const RECORDS: [(usize, usize, &str, &str); 5] = [
    (
        1,
        3,
        "Annual check-up",
        "Blood pressure 118/76. BMI 22.4. No complaints.\nPlan: routine bloods, review in 12 months.",
    ),
    (
        1,
        4,
        "Type 2 diabetes review",
        "HbA1c 7.4 % (was 7.9 %). Feet examined: sensation intact.\nContinue metformin 1 g twice daily; dietitian referral.",
    ),
    (
        2,
        4,
        "Cardiology consultation",
        "Exertional breathlessness for 3 months. ECG: sinus rhythm, no acute changes.\nEchocardiogram requested.",
    ),
    (
        2,
        5,
        "Sprained ankle",
        "Inversion injury playing football. Ottawa rules negative; no X-ray needed.\nRICE, ibuprofen 400 mg as needed, review if not better in 2 weeks.",
    ),
    (
        2,
        5,
        "Follow-up",
        "Ankle much improved, full weight bearing. Discharged.",
    ),
];

pub async fn demo(state: &AppState) -> anyhow::Result<()> {
    let first = USERS.first().map(|user| user.email).unwrap_or_default();
    let first = Email::parse(first).map_err(|e| anyhow::anyhow!(e))?;
    let present = state
        .read(move |conn| Ok(users::find_by_email(conn, &first)?.is_some()))
        .await
        .map_err(anyhow_of)?;
    if present {
        println!("The demo data is already there.");
        print_credentials();
        return Ok(());
    }
    let mut hashes = Vec::with_capacity(USERS.len());
    for user in &USERS {
        let password = Password::parse(user.password).map_err(|e| anyhow::anyhow!(e))?;
        hashes.push(state.passwords.hash(&password).await.map_err(anyhow_of)?);
    }
    let now = state.now();
    // The demo's data enters the audit trail like any other: one entry per thing made, by the
    // person the demo says made it, under one correlation id.
    let meta = RequestMeta {
        correlation_id: uuid::Uuid::new_v4().to_string(),
        ..RequestMeta::default()
    };
    state
        .write(move |conn| {
            let mut people = Vec::new();
            for (user, hash) in USERS.iter().zip(&hashes) {
                let email = Email::parse(user.email)?;
                let name = PersonName::parse(user.name)?;
                let new = NewUser {
                    email: &email,
                    name: &name,
                    role: user.role,
                    status: user.status,
                    password_hash: hash,
                };
                let created = users::insert(conn, new, now)?;
                let chart = match user.born {
                    Some((year, month, day, sex)) => {
                        let birth = NaiveDate::from_ymd_opt(year, month, day)
                            .map(|date| medvault_domain::BirthDate::new(date, now.date()))
                            .transpose()?;
                        let chart = NewPatient {
                            name,
                            birth_date: birth,
                            sex,
                            contact: demo_contact(user.email)?,
                            user_id: Some(created.id),
                            created_by: None,
                        };
                        Some(patients::insert(conn, chart, now)?.id)
                    }
                    None => None,
                };
                people.push(Actor {
                    user_id: created.id,
                    role: user.role,
                    patient_id: chart,
                });
            }
            // The tables below name people by their place in `USERS`.
            let person = |index: usize| {
                people.get(index).copied().ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!("the demo names user {index}, not in it"))
                })
            };
            let chart_of = |index: usize| person(index).map(|p| p.patient_id);
            let admin = person(0)?;
            for created in &people {
                let mut event =
                    Event::success(&admin, AuditAction::UserCreate).resource(created.user_id);
                if let Some(chart) = created.patient_id {
                    event = event.patient(chart);
                }
                audit::record(conn, &meta, now, event)?;
            }
            for (doctor, patient) in CARE_TEAMS {
                let doctor = person(doctor)?.user_id;
                if let Some(chart) = chart_of(patient)? {
                    care_team::add(conn, chart, doctor, admin.user_id, now)?;
                    let event = Event::success(&admin, AuditAction::CareTeamAssign)
                        .resource(doctor)
                        .patient(chart);
                    audit::record(conn, &meta, now, event)?;
                }
            }
            let (trainee, patient) = TRAINEE_LINK;
            if let Some(chart) = chart_of(patient)? {
                let trainee = person(trainee)?.user_id;
                access::link_trainee(conn, chart, trainee, admin.user_id, now)?;
                let event = Event::success(&admin, AuditAction::TraineeLink)
                    .resource(trainee)
                    .patient(chart);
                audit::record(conn, &meta, now, event)?;
            }
            let (intern, patient, issuer) = INTERN_GRANT;
            if let Some(chart) = chart_of(patient)? {
                let issuer = person(issuer)?;
                let grant = access::issue_grant(
                    conn,
                    person(intern)?.user_id,
                    chart,
                    issuer.user_id,
                    now,
                    now + chrono::Duration::hours(8),
                )?;
                let event = Event::success(&issuer, AuditAction::InternGrantIssue)
                    .resource(grant.id)
                    .patient(chart);
                audit::record(conn, &meta, now, event)?;
            }
            for (author, patient, title, notes) in RECORDS {
                if let Some(chart) = chart_of(patient)? {
                    let author = person(author)?;
                    let record = NewRecord {
                        patient_id: chart,
                        author_id: author.user_id,
                        kind: RecordKind::ProgressNote,
                        title: RecordTitle::parse(title)?,
                        notes: RecordNotes::parse(notes)?,
                    };
                    let written = records::insert(conn, record, now)?;
                    let event = Event::success(&author, AuditAction::RecordCreate)
                        .resource(written)
                        .patient(chart);
                    audit::record(conn, &meta, now, event)?;
                }
            }
            let cast = visits::Cast {
                admin,
                okafor: person(1)?,
                meyer: person(2)?,
                sofia: person(3)?,
                kenji: person(4)?,
                maria: person(5)?,
                desk: person(9)?,
            };
            visits::seed(conn, &meta, now, &cast)
        })
        .await
        .map_err(anyhow_of)?;
    println!("Demo data created.");
    print_credentials();
    Ok(())
}

fn print_credentials() {
    println!("\nSign in with any of these (demo only: never use these in production).");
    println!("The intern's grant lasts 8 hours from seeding. The staff account runs the clinic's");
    println!("front desk; Sofia, Kenji and María have visits booked there.");
    for user in &USERS {
        let waiting = if user.status == UserStatus::Pending {
            "  (waits for an admin's approval)"
        } else {
            ""
        };
        println!(
            "  {:<8} {:<32} {}{waiting}",
            user.role.as_str(),
            user.email,
            user.password
        );
    }
}
