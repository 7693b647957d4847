//! Page models: what each template shows, already formatted. Templates escape every value.

use askama::Template;
use medvault_store::repo::allergies::Allergy;
use medvault_store::repo::problems::Problem;
use medvault_store::{Patient, Record};

use super::kept::Kept;
use crate::auth::Caller;
use crate::files::web::FileRows;
use crate::labs::web::LabPanels;
use crate::patients::ties::Member;
use crate::prescriptions::web::Medications;
use crate::web::dates::{Clock, Day};

/// What every page shows around its content: the signed-in bar, one notice or error, and a
/// form that was refused, to show again as it was typed.
#[derive(Default)]
pub struct Chrome {
    pub nav: Option<Nav>,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub kept: Kept,
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

    /// A refused form: shown again with its input, the refusal beside it.
    pub fn kept(mut self, kept: Kept) -> Self {
        self.kept = kept;
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
    pub mrn: String,
    pub name: String,
    pub birth_date: String,
    pub sex: &'static str,
    pub phone: String,
}

impl From<&Patient> for PatientRow {
    fn from(chart: &Patient) -> Self {
        PatientRow {
            id: chart.id.to_string(),
            mrn: chart.mrn.to_string(),
            name: chart.name.clone(),
            birth_date: chart
                .birth_date
                .map_or_else(|| "—".to_owned(), |d| Day(d).to_string()),
            sex: chart.sex.as_str(),
            phone: chart
                .contact
                .phone
                .clone()
                .unwrap_or_else(|| "—".to_owned()),
        }
    }
}

/// A chart's allergies and problems as its page shows them.
pub struct ClinicalLists {
    pub allergies: Vec<AllergyRow>,
    pub problems: Vec<ProblemRow>,
}

pub struct AllergyRow {
    pub id: String,
    pub substance: String,
    /// Reaction and severity in words, or empty.
    pub detail: String,
    pub status: &'static str,
    pub active: bool,
    pub recorded: String,
    pub version: i64,
}

pub struct ProblemRow {
    pub id: String,
    pub condition: String,
    pub onset: String,
    pub status: &'static str,
    pub active: bool,
    pub recorded: String,
    pub version: i64,
}

impl ClinicalLists {
    pub fn new(allergies: &[Allergy], problems: &[Problem]) -> Self {
        use medvault_domain::clinical::{AllergyStatus, ProblemStatus};
        ClinicalLists {
            allergies: allergies
                .iter()
                .map(|allergy| AllergyRow {
                    id: allergy.id.to_string(),
                    substance: allergy.substance.clone(),
                    detail: [
                        allergy.reaction.clone(),
                        allergy.severity.map(|s| s.as_str().to_owned()),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", "),
                    status: allergy.status.as_str(),
                    active: allergy.status == AllergyStatus::Active,
                    recorded: format!("{}, {}", allergy.recorded_by_name, Day(allergy.recorded_at)),
                    version: allergy.version,
                })
                .collect(),
            problems: problems
                .iter()
                .map(|problem| ProblemRow {
                    id: problem.id.to_string(),
                    condition: problem.condition.clone(),
                    onset: problem
                        .onset
                        .map(|date| Day(date).to_string())
                        .unwrap_or_default(),
                    status: problem.status.as_str(),
                    active: problem.status == ProblemStatus::Active,
                    recorded: format!("{}, {}", problem.recorded_by_name, Day(problem.recorded_at)),
                    version: problem.version,
                })
                .collect(),
        }
    }
}

/// A chart's contact details as its pages show them: "—" for what is not recorded.
pub struct ProfileFacts {
    pub mrn: String,
    pub email: String,
    /// The address, a line each: street lines, then postal code and city, region, country.
    pub address: Vec<String>,
    pub emergency_contact: String,
    pub language: String,
}

impl From<&Patient> for ProfileFacts {
    fn from(chart: &Patient) -> Self {
        let contact = &chart.contact;
        let or_dash = |value: &Option<String>| value.clone().unwrap_or_else(|| "—".to_owned());
        let joined = |parts: [&Option<String>; 2], between: &str| {
            let given: Vec<&str> = parts.into_iter().flatten().map(String::as_str).collect();
            (!given.is_empty()).then(|| given.join(between))
        };
        let mut address: Vec<String> = contact
            .address_line
            .iter()
            .flat_map(|line| line.lines())
            .map(str::to_owned)
            .collect();
        address.extend(joined([&contact.postal_code, &contact.city], " "));
        address.extend(joined([&contact.region, &contact.country], ", "));
        let who = joined(
            [
                &contact.emergency_contact_name,
                &contact
                    .emergency_contact_relationship
                    .as_ref()
                    .map(|relationship| format!("({relationship})")),
            ],
            " ",
        );
        let emergency_contact = joined([&who, &contact.emergency_contact_phone], ", ")
            .unwrap_or_else(|| "—".to_owned());
        ProfileFacts {
            mrn: chart.mrn.to_string(),
            email: or_dash(&contact.email),
            address,
            emergency_contact,
            language: or_dash(&contact.preferred_language),
        }
    }
}

/// The profile form's fields, as stored or as typed.
#[derive(Default)]
pub struct ProfileFields {
    pub name: String,
    pub birth_date: String,
    pub sex: String,
    pub phone: String,
    pub email: String,
    pub address_line: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
    pub emergency_contact_name: String,
    pub emergency_contact_relationship: String,
    pub emergency_contact_phone: String,
    pub preferred_language: String,
}

impl From<&Patient> for ProfileFields {
    fn from(chart: &Patient) -> Self {
        let contact = chart.contact.clone();
        ProfileFields {
            name: chart.name.clone(),
            birth_date: chart
                .birth_date
                .map(|date| date.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            sex: chart.sex.as_str().to_owned(),
            phone: contact.phone.unwrap_or_default(),
            email: contact.email.unwrap_or_default(),
            address_line: contact.address_line.unwrap_or_default(),
            city: contact.city.unwrap_or_default(),
            region: contact.region.unwrap_or_default(),
            postal_code: contact.postal_code.unwrap_or_default(),
            country: contact.country.unwrap_or_default(),
            emergency_contact_name: contact.emergency_contact_name.unwrap_or_default(),
            emergency_contact_relationship: contact
                .emergency_contact_relationship
                .unwrap_or_default(),
            emergency_contact_phone: contact.emergency_contact_phone.unwrap_or_default(),
            preferred_language: contact.preferred_language.unwrap_or_default(),
        }
    }
}

/// The form that opens a chart or edits one's profile.
#[derive(Template)]
#[template(path = "patients/profile.html")]
pub struct ProfilePage {
    pub chrome: Chrome,
    pub csrf: String,
    /// Where the form is sent: `/patients` for a new chart, the chart's profile otherwise.
    pub action: String,
    /// The chart edited, named beside the button; `None` for a new chart.
    pub chart: Option<PatientRow>,
    /// The version the edit is made on.
    pub version: i64,
    /// Whether name, birth date and sex are in the form (not for a patient's own edit).
    pub identity: bool,
    pub fields: ProfileFields,
    /// Where "Cancel" leads.
    pub back: String,
}

impl ProfilePage {
    pub fn sexes(&self) -> [&'static str; 4] {
        medvault_domain::Sex::ALL.map(medvault_domain::Sex::as_str)
    }
}

pub struct RecordRow {
    pub id: String,
    pub kind: &'static str,
    pub title: String,
    pub notes: String,
    pub author_name: String,
    /// "Amended" or "Entered in error", when it is either.
    pub status: Option<&'static str>,
    pub status_reason: String,
    pub entered_in_error: bool,
    pub created_at: String,
    pub created_display: String,
    pub patient_id: String,
    /// Shown when the list mixes patients (a doctor's own records); empty otherwise.
    pub patient_name: String,
}

impl RecordRow {
    pub fn new(record: &Record, patient_name: Option<&str>) -> Self {
        use medvault_domain::RecordStatus;
        RecordRow {
            id: record.id.to_string(),
            kind: record.kind.label(),
            title: record.title.clone(),
            notes: record.notes.clone(),
            author_name: record.author_name.clone(),
            status: match record.status {
                RecordStatus::Final => None,
                RecordStatus::Amended => Some("Amended"),
                RecordStatus::EnteredInError => Some("Entered in error"),
            },
            status_reason: record.status_reason.clone().unwrap_or_default(),
            entered_in_error: record.status == RecordStatus::EnteredInError,
            created_at: crate::api::timestamp(record.created_at),
            created_display: to_the_minute(record.created_at),
            patient_id: record.patient_id.to_string(),
            patient_name: patient_name.unwrap_or_default().to_owned(),
        }
    }
}

/// A record's page: the record, its history, and the forms that change it.
#[derive(Template)]
#[template(path = "records/record.html")]
pub struct RecordPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub record: RecordRow,
    /// The version the forms change.
    pub version: i64,
    /// Newest first.
    pub versions: Vec<VersionRow>,
    /// The amendment form, when the caller may change the record and it is not in error.
    pub form: Option<RecordForm>,
}

/// One version in a record's history.
pub struct VersionRow {
    pub version: i64,
    pub kind: &'static str,
    pub title: String,
    pub notes: String,
    pub written_by: String,
    pub written_at: String,
    pub written_display: String,
    /// What it changed from the version before, in words ("title, notes"); empty for the first.
    pub changed: String,
    pub status_reason: String,
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
    /// The kind chosen, as its code; blank for the default.
    pub kind: String,
    pub title: String,
    pub notes: String,
}

impl RecordForm {
    /// The kinds to choose from: code, label, and whether it is the one chosen.
    pub fn kinds(&self) -> Vec<(&'static str, &'static str, bool)> {
        let chosen = medvault_domain::RecordKind::parse(&self.kind).unwrap_or_default();
        medvault_domain::RecordKind::ALL
            .iter()
            .map(|kind| (kind.as_str(), kind.label(), *kind == chosen))
            .collect()
    }
}

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub email: String,
    /// The landing page: the form beside a word about MedVault.
    pub hero: bool,
}

#[derive(Template)]
#[template(path = "auth/register.html")]
pub struct RegisterPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub name: String,
    pub email: String,
    pub role: String,
}

#[derive(Template)]
#[template(path = "dashboards/doctor_dashboard.html")]
pub struct DoctorDashboard {
    pub chrome: Chrome,
    pub csrf: String,
    pub me_name: String,
    pub me_email: String,
    pub patients: Vec<PatientRow>,
    /// Critical results waiting for a doctor: (chart id, patient's name, what, when).
    pub alerts: Vec<(String, String, String, String)>,
    pub records: Vec<RecordRow>,
    pub grants: Vec<GrantRow>,
    /// How long a break-the-glass access lasts, in words ("1 hour").
    pub emergency_lasts: String,
}

#[derive(Template)]
#[template(path = "dashboards/patient_dashboard.html")]
pub struct PatientDashboard {
    pub chrome: Chrome,
    pub csrf: String,
    pub me_name: String,
    pub me_email: String,
    pub chart: Option<PatientRow>,
    pub profile: Option<ProfileFacts>,
    pub records: Vec<RecordRow>,
    pub accesses: Vec<ReportRow>,
    /// The doctors the patient has chosen, or an admin assigned.
    pub care_team: Vec<MemberRow>,
    /// The charts the patient is the guardian of.
    pub dependents: Vec<PatientRow>,
    /// Visits booked and still ahead.
    pub visits: Vec<crate::appointments::web::VisitRow>,
}

#[derive(Template)]
#[template(path = "patients/chart.html")]
pub struct ChartPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub chart: PatientRow,
    pub profile: ProfileFacts,
    /// The caller may edit the profile: all of it, or (the patient) the contact details.
    pub can_edit_profile: bool,
    /// The caller may book the patient's visits, and so see them.
    pub can_book: bool,
    /// Allergies and problems, when the caller may read clinical content.
    pub clinical: Option<ClinicalLists>,
    /// The caller may record allergies and problems and change their status.
    pub can_write_clinical: bool,
    /// Active and past medications, when the caller may read clinical content.
    pub medications: Option<Medications>,
    /// The caller may prescribe, and complete or stop a prescription (care-team doctor).
    pub can_prescribe: bool,
    /// Each lab test's newest result and trend, when the caller may read clinical content.
    pub labs: Option<LabPanels>,
    /// The chart's files, when the caller may read clinical content.
    pub files: Option<FileRows>,
    /// Lab reports, critical alerts and insights, when the caller may send or review reports.
    pub reports: Option<crate::lab_reports::web::ReportsPanel>,
    /// The caller sees deleted files and may restore them (admins).
    pub can_restore_files: bool,
    /// The caller may download the whole chart.
    pub can_export: bool,
    /// `None` when the caller may not see clinical notes (interns).
    pub records: Option<Vec<RecordRow>>,
    /// Where the older records begin, when there are more than shown.
    pub older_records: Option<String>,
    /// The records shown are the newest (not an older page).
    pub newest_shown: bool,
    /// The new-record form, when the caller may write into this chart.
    pub record_form: Option<RecordForm>,
    /// Opened under break-the-glass: the page says so.
    pub emergency: bool,
    /// The doctors looking after the patient.
    pub care_team: Vec<MemberRow>,
    /// The caller may take doctors off the care team (admin, the patient).
    pub can_change_care_team: bool,
    /// The trainees linked to the patient, when the caller may link and unlink them, and grant
    /// interns (care-team doctor, admin).
    pub trainees: Option<Vec<MemberRow>>,
    /// The patient accounts that manage this chart as its patient would.
    pub guardians: Vec<MemberRow>,
    /// The caller may add and end guardianships (care-team doctor, admin).
    pub can_manage_guardians: bool,
}

/// Someone tied to a chart, with a name to show.
pub struct MemberRow {
    pub id: String,
    pub name: String,
}

impl From<Member> for MemberRow {
    fn from(member: Member) -> Self {
        MemberRow {
            id: member.user_id.to_string(),
            name: member.name,
        }
    }
}

#[derive(Template)]
#[template(path = "dashboards/staff_dashboard.html")]
pub struct StaffDashboard {
    pub chrome: Chrome,
    pub me_name: String,
    pub role: &'static str,
    pub patients: Vec<PatientRow>,
    /// For an intern: when their latest grant, and so their access, ends.
    pub shift_ends: Option<String>,
    /// What the chart search was asked, if anything.
    pub search: String,
    /// The list stops at its length: there are more to search for.
    pub more: bool,
}

/// One act on a chart in its access report, in words.
pub struct ReportRow {
    pub at: Moment,
    pub sentence: String,
    pub emergency: bool,
    pub reason: String,
}

impl From<&crate::audit_log::Access> for ReportRow {
    fn from(access: &crate::audit_log::Access) -> Self {
        let entry = &access.row.entry;
        ReportRow {
            at: Moment::from(entry.at),
            sentence: access.sentence(),
            emergency: entry.emergency,
            reason: entry.reason.clone().unwrap_or_default(),
        }
    }
}

/// An instant as pages show it: in UTC, which the browser rewrites into the reader's own time
/// and zone (`static/local-time.js`).
pub struct Moment {
    /// RFC 3339, for `<time datetime>`.
    pub iso: String,
    pub utc: String,
}

impl From<chrono::NaiveDateTime> for Moment {
    fn from(at: chrono::NaiveDateTime) -> Self {
        Moment {
            iso: at
                .and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            utc: to_the_minute(at),
        }
    }
}

pub struct GrantRow {
    pub id: String,
    pub intern: String,
    pub patient: String,
    pub ends_at: String,
    pub active: bool,
}

pub struct EmergencyRow {
    pub doctor: String,
    pub patient: String,
    pub reason: String,
    pub started_at: String,
    pub ends_at: String,
    pub open: bool,
}

#[derive(Template)]
#[template(path = "auth/account.html")]
pub struct AccountPage {
    pub chrome: Chrome,
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "dashboards/admin.html")]
pub struct AdminPage {
    pub chrome: Chrome,
    pub csrf: String,
    /// The signed-in admin, who cannot deactivate themselves.
    pub me_id: String,
    /// Accounts waiting for approval, whatever the search: they stand out at the top.
    pub waiting: Vec<UserRow>,
    /// The users the search found (all, without one), the first 200 of them.
    pub users: Vec<UserRow>,
    /// More users matched than are shown.
    pub more_users: bool,
    pub search: UserSearch,
    /// The charts the chart search found, with links to them.
    pub charts_found: Vec<PatientRow>,
    pub more_charts: bool,
    pub patients: Vec<PatientRow>,
    pub doctors: Vec<UserRow>,
    pub trainees: Vec<UserRow>,
    pub interns: Vec<UserRow>,
    pub grants: Vec<GrantRow>,
    pub emergencies: Vec<EmergencyRow>,
}

/// The admin page's searches, as typed: users, and charts.
#[derive(Default, serde::Deserialize)]
#[serde(default)]
pub struct UserSearch {
    pub q: String,
    pub role: String,
    pub status: String,
    /// The chart search.
    pub patient: String,
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
        "chart_created" => "Chart opened.",
        "allergy_recorded" => "Allergy recorded.",
        "problem_recorded" => "Problem added to the list.",
        "status_changed" => "Status changed.",
        "prescribed" => "Prescribed.",
        "lab_recorded" => "Lab result entered.",
        "file_uploaded" => "File added to the chart.",
        "file_deleted" => "File deleted. An administrator can restore it for 30 days.",
        "file_restored" => "File restored.",
        "report_sent" => "Report sent. It is read in the background; this page shows its progress.",
        "rows_reviewed" => "Decisions saved. Confirmed results are in the chart.",
        "report_reviewed" => "Report reviewed. Confirmed results are in the chart.",
        "alert_acknowledged" => "Alert acknowledged.",
        "visit_booked" => "Visit booked.",
        "visit_moved" => "Visit moved; the earlier time is free for others.",
        "institution_opened" => "Institution opened. Give its staff their places below.",
        "staff_saved" => "Staff saved.",
        "hours_saved" => "Hours saved. Patients book from them at once.",
        "staff_removed" => "Taken off the staff.",
        "visit_cancelled" => "Visit cancelled; the time is free for others.",
        "record_changed" => "Record saved; the earlier version is in its history.",
        "profile_saved" => "Details saved.",
        "registered" => "Account created. You can sign in now.",
        "registered_pending" => {
            "Account created. An administrator will approve it before you can sign in."
        }
        "user_created" => "User created.",
        "user_approved" => "User approved.",
        "assigned" => "Doctor assigned to the patient.",
        "signed_out" => "You are signed out.",
        "session_ended" => "Your session has ended. Please sign in again.",
        "emergency_opened" => {
            "Emergency access open. Every view is recorded and reported to the patient."
        }
        "trainee_linked" => "Trainee linked to the patient.",
        "trainee_unlinked" => "Trainee unlinked. Their access to this chart has ended.",
        "care_team_removed" => "Doctor taken off the care team. Their access has ended.",
        "care_team_added" => "Doctor added to the care team.",
        "guardian_added" => "Guardian added. They now see and manage this chart.",
        "guardian_ended" => "Guardianship ended. Their access to this chart has ended.",
        "intern_granted" => "Intern granted access for the shift.",
        "grant_ended" => "Grant ended. The intern has lost access.",
        "user_deactivated" => "User deactivated. Their sessions have ended.",
        "user_reactivated" => "User reactivated.",
        "password_reset" => "Password reset. The user's sessions have ended.",
        "password_changed" => "Password changed. Your other sessions have ended.",
        _ => return None,
    };
    Some(text.to_owned())
}

/// A time as pages show it: day, month, year, hours and minutes, in UTC.
pub fn to_the_minute(at: chrono::NaiveDateTime) -> String {
    format!("{}, {} UTC", Day(at), Clock(at))
}

/// A configured span in words, to the minute: "1 hour", "90 minutes".
pub fn span_in_words(span: std::time::Duration) -> String {
    let minutes = span.as_secs().div_ceil(60);
    let (count, unit) = if minutes.is_multiple_of(60) {
        (minutes / 60, "hour")
    } else {
        (minutes, "minute")
    };
    format!("{count} {unit}{}", if count == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::span_in_words;

    #[test]
    fn spans_read_in_hours_or_minutes() {
        assert_eq!(span_in_words(Duration::from_secs(3600)), "1 hour");
        assert_eq!(span_in_words(Duration::from_secs(7200)), "2 hours");
        assert_eq!(span_in_words(Duration::from_secs(5400)), "90 minutes");
        assert_eq!(span_in_words(Duration::from_secs(60)), "1 minute");
        assert_eq!(span_in_words(Duration::from_secs(90)), "2 minutes");
    }
}
