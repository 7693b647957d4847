//! Page models: what each template shows, already formatted. Templates escape every value.

use askama::Template;
use medvault_store::{Patient, Record};

use crate::auth::Caller;

/// What every page shows around its content: the signed-in bar and one notice or error.
#[derive(Default)]
pub struct Chrome {
    pub nav: Option<Nav>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

impl Chrome {
    pub fn signed_in(caller: &Caller, csrf: &str) -> Self {
        Chrome {
            nav: Nav::of(caller, csrf),
            ..Chrome::default()
        }
    }

    pub fn notice(mut self, notice: Option<String>) -> Self {
        self.notice = notice;
        self
    }

    pub fn error(mut self, error: Option<String>) -> Self {
        self.error = error;
        self
    }
}

/// The signed-in bar at the top of every page.
pub struct Nav {
    pub name: String,
    pub role: &'static str,
    pub csrf: String,
}

impl Nav {
    pub fn of(caller: &Caller, csrf: &str) -> Option<Nav> {
        Some(Nav {
            name: caller.name.clone(),
            role: caller.actor.role.as_str(),
            csrf: csrf.to_owned(),
        })
    }
}

pub struct PatientRow {
    pub id: String,
    pub name: String,
    pub birth_date: String,
    pub sex: &'static str,
    pub phone: String,
}

impl From<&Patient> for PatientRow {
    fn from(chart: &Patient) -> Self {
        PatientRow {
            id: chart.id.to_string(),
            name: chart.name.clone(),
            birth_date: chart
                .birth_date
                .map_or_else(|| "—".to_owned(), |d| d.format("%-d %b %Y").to_string()),
            sex: chart.sex.as_str(),
            phone: chart.phone.clone().unwrap_or_else(|| "—".to_owned()),
        }
    }
}

pub struct RecordRow {
    pub title: String,
    pub notes: String,
    pub created_at: String,
    pub created_display: String,
    pub patient_id: String,
    /// Shown when the list mixes patients (a doctor's own records); empty otherwise.
    pub patient_name: String,
}

impl RecordRow {
    pub fn new(record: &Record, patient_name: Option<&str>) -> Self {
        RecordRow {
            title: record.title.clone(),
            notes: record.notes.clone(),
            created_at: crate::api::timestamp(record.created_at),
            created_display: record.created_at.format("%-d %b %Y, %H:%M UTC").to_string(),
            patient_id: record.patient_id.to_string(),
            patient_name: patient_name.unwrap_or_default().to_owned(),
        }
    }
}

pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub status: &'static str,
}

#[derive(Default)]
pub struct RecordForm {
    pub patient_id: String,
    pub patient: String,
    pub title: String,
    pub notes: String,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub email: String,
    /// The landing page: the form beside a word about MedVault.
    pub hero: bool,
}

#[derive(Template)]
#[template(path = "register.html")]
pub struct RegisterPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub name: String,
    pub email: String,
    pub role: String,
}

#[derive(Template)]
#[template(path = "doctor_dashboard.html")]
pub struct DoctorDashboard {
    pub chrome: Chrome,
    pub csrf: String,
    pub me_name: String,
    pub me_email: String,
    pub patients: Vec<PatientRow>,
    pub records: Vec<RecordRow>,
    pub form: RecordForm,
}

#[derive(Template)]
#[template(path = "record_create.html")]
pub struct RecordCreatePage {
    pub chrome: Chrome,
    pub csrf: String,
    pub patients: Vec<PatientRow>,
    pub form: RecordForm,
}

#[derive(Template)]
#[template(path = "patient_dashboard.html")]
pub struct PatientDashboard {
    pub chrome: Chrome,
    pub me_name: String,
    pub me_email: String,
    pub chart: Option<PatientRow>,
    pub records: Vec<RecordRow>,
}

#[derive(Template)]
#[template(path = "patient_chart.html")]
pub struct ChartPage {
    pub chrome: Chrome,
    pub chart: PatientRow,
    pub records: Vec<RecordRow>,
}

#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub users: Vec<UserRow>,
    pub patients: Vec<PatientRow>,
    pub doctors: Vec<UserRow>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub status: u16,
    pub heading: &'static str,
    pub message: String,
    pub correlation_id: String,
}

/// Short notices passed through a redirect as a code, never as free text.
pub fn notice(code: Option<&str>) -> Option<String> {
    let text = match code? {
        "record_created" => "Record saved.",
        "registered" => "Account created. You can sign in now.",
        "registered_pending" => {
            "Account created. An administrator will approve it before you can sign in."
        }
        "user_created" => "User created.",
        "user_approved" => "User approved.",
        "assigned" => "Doctor assigned to the patient.",
        "signed_out" => "You are signed out.",
        _ => return None,
    };
    Some(text.to_owned())
}
