//! What the audit trail records: one [`AuditAction`] per use case, named the same whether it was
//! allowed, denied or failed, and said in plain words for the people whose chart it concerns.

/// Who reads about an act: the patient whose chart it concerns, or staff reading the trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    Patient,
    Staff,
}

/// One act the trail records. The stored code (`as_str`) never changes once written, since
/// entries are hash-chained; the words may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditAction {
    AuthLogin,
    AuthLogout,
    AuthThrottle,
    AuthPasswordChange,
    UserCreate,
    UserList,
    UserApprove,
    UserDeactivate,
    UserReactivate,
    UserPasswordReset,
    PatientCreate,
    PatientList,
    PatientRead,
    PatientUpdate,
    /// The chart page: demographics, records and ties, shown as one.
    ChartView,
    /// A copy of the whole chart, downloaded.
    ChartExport,
    /// A landing page: a doctor's dashboard, a trainee's or intern's list, the admin page.
    DashboardView,
    CareTeamList,
    CareTeamAssign,
    CareTeamRemove,
    TraineeList,
    TraineeLink,
    TraineeUnlink,
    GuardianList,
    GuardianAdd,
    GuardianEnd,
    RecordCreate,
    RecordList,
    RecordRead,
    RecordAmend,
    RecordEnteredInError,
    RecordHistoryRead,
    AllergyList,
    AllergyRecord,
    AllergyUpdate,
    ProblemList,
    ProblemRecord,
    ProblemUpdate,
    PrescriptionList,
    PrescriptionCreate,
    PrescriptionUpdate,
    LabResultList,
    LabResultRecord,
    LabResultEnteredInError,
    LabTrendRead,
    LabReportSend,
    /// MedVault itself read a sent report into draft rows (no actor).
    LabReportRead,
    LabReportView,
    LabReportList,
    LabReportReview,
    InsightRead,
    SummaryRead,
    /// Part of a chart's summary sent to the outside summary service.
    SummaryDisclose,
    AlertList,
    AlertAcknowledge,
    InstitutionCreate,
    InstitutionList,
    StaffList,
    StaffAdd,
    StaffRemove,
    /// A patient registered at an institution.
    RegistrationAdd,
    /// An institution's registered patients, listed.
    RegistrationList,
    AvailabilitySet,
    /// A doctor's day or week, with the patients booked.
    ScheduleRead,
    AppointmentBook,
    AppointmentRead,
    AppointmentList,
    AppointmentCancel,
    AppointmentReschedule,
    CoverageRead,
    CoverageUpdate,
    /// The patient's payer and member number, sent to the insurer to ask about a visit.
    EligibilityDisclose,
    FileList,
    FileUpload,
    FileRead,
    FileDownload,
    FileDelete,
    FileRestore,
    InternGrantIssue,
    InternGrantList,
    InternGrantEnd,
    EmergencyOpen,
    EmergencyList,
    AuditRead,
    AuditExport,
    AccessReportRead,
    /// A create sent again with its `Idempotency-Key`, answered with the first answer.
    RequestRepeat,
    /// Every chart read out into a backup, by `medvault backup` (no actor: an operator's act).
    DatabaseBackup,
    /// A backup put back into an empty database, by `medvault restore`.
    DatabaseRestore,
    /// The whole database copied into another, by `medvault transfer`.
    DatabaseTransfer,
}

impl AuditAction {
    pub const ALL: [AuditAction; 90] = [
        AuditAction::AuthLogin,
        AuditAction::AuthLogout,
        AuditAction::AuthThrottle,
        AuditAction::AuthPasswordChange,
        AuditAction::UserCreate,
        AuditAction::UserList,
        AuditAction::UserApprove,
        AuditAction::UserDeactivate,
        AuditAction::UserReactivate,
        AuditAction::UserPasswordReset,
        AuditAction::PatientCreate,
        AuditAction::PatientList,
        AuditAction::PatientRead,
        AuditAction::PatientUpdate,
        AuditAction::ChartView,
        AuditAction::ChartExport,
        AuditAction::DashboardView,
        AuditAction::CareTeamList,
        AuditAction::CareTeamAssign,
        AuditAction::CareTeamRemove,
        AuditAction::TraineeList,
        AuditAction::TraineeLink,
        AuditAction::TraineeUnlink,
        AuditAction::GuardianList,
        AuditAction::GuardianAdd,
        AuditAction::GuardianEnd,
        AuditAction::RecordCreate,
        AuditAction::RecordList,
        AuditAction::RecordRead,
        AuditAction::RecordAmend,
        AuditAction::RecordEnteredInError,
        AuditAction::RecordHistoryRead,
        AuditAction::AllergyList,
        AuditAction::AllergyRecord,
        AuditAction::AllergyUpdate,
        AuditAction::ProblemList,
        AuditAction::ProblemRecord,
        AuditAction::ProblemUpdate,
        AuditAction::PrescriptionList,
        AuditAction::PrescriptionCreate,
        AuditAction::PrescriptionUpdate,
        AuditAction::LabResultList,
        AuditAction::LabResultRecord,
        AuditAction::LabResultEnteredInError,
        AuditAction::LabTrendRead,
        AuditAction::LabReportSend,
        AuditAction::LabReportRead,
        AuditAction::LabReportView,
        AuditAction::LabReportList,
        AuditAction::LabReportReview,
        AuditAction::InsightRead,
        AuditAction::SummaryRead,
        AuditAction::SummaryDisclose,
        AuditAction::AlertList,
        AuditAction::AlertAcknowledge,
        AuditAction::InstitutionCreate,
        AuditAction::InstitutionList,
        AuditAction::StaffList,
        AuditAction::StaffAdd,
        AuditAction::StaffRemove,
        AuditAction::RegistrationAdd,
        AuditAction::RegistrationList,
        AuditAction::AvailabilitySet,
        AuditAction::ScheduleRead,
        AuditAction::AppointmentBook,
        AuditAction::AppointmentRead,
        AuditAction::AppointmentList,
        AuditAction::AppointmentCancel,
        AuditAction::AppointmentReschedule,
        AuditAction::CoverageRead,
        AuditAction::CoverageUpdate,
        AuditAction::EligibilityDisclose,
        AuditAction::FileList,
        AuditAction::FileUpload,
        AuditAction::FileRead,
        AuditAction::FileDownload,
        AuditAction::FileDelete,
        AuditAction::FileRestore,
        AuditAction::InternGrantIssue,
        AuditAction::InternGrantList,
        AuditAction::InternGrantEnd,
        AuditAction::EmergencyOpen,
        AuditAction::EmergencyList,
        AuditAction::AuditRead,
        AuditAction::AuditExport,
        AuditAction::AccessReportRead,
        AuditAction::RequestRepeat,
        AuditAction::DatabaseBackup,
        AuditAction::DatabaseRestore,
        AuditAction::DatabaseTransfer,
    ];

    /// The code stored in the trail and accepted by its filters.
    pub fn as_str(self) -> &'static str {
        self.describe().0
    }

    /// The kind of thing the act is about.
    pub fn resource_type(self) -> &'static str {
        self.describe().1
    }

    /// What the actor did, as a patient reads it after the actor's name: "viewed your chart".
    pub fn in_words(self) -> &'static str {
        self.describe().2
    }

    /// What the actor did, for `reader`: "viewed your chart" to the patient, "viewed the
    /// patient's chart" to staff.
    pub fn said_to(self, reader: Reader) -> String {
        match reader {
            Reader::Patient => self.in_words().to_owned(),
            Reader::Staff => self.in_words().replace("your ", "the patient's "),
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == code)
    }

    /// What the actor tried to do, for a refusal: "tried to view your chart".
    pub fn attempted(self) -> &'static str {
        self.describe().3
    }

    /// Code, resource type, what was done and what was tried, side by side so that they cannot
    /// drift apart.
    fn describe(self) -> (&'static str, &'static str, &'static str, &'static str) {
        use AuditAction::*;
        match self {
            AuthLogin => ("auth.login", "session", "signed in", "sign in"),
            AuthLogout => ("auth.logout", "session", "signed out", "sign out"),
            AuthThrottle => (
                "auth.throttle",
                "session",
                "was held back from signing in",
                "sign in",
            ),
            AuthPasswordChange => (
                "auth.password_change",
                "user",
                "changed their password",
                "change their password",
            ),
            UserCreate => (
                "user.create",
                "user",
                "created the account",
                "create an account",
            ),
            UserList => (
                "user.list",
                "user",
                "listed user accounts",
                "list user accounts",
            ),
            UserApprove => (
                "user.approve",
                "user",
                "approved an account",
                "approve an account",
            ),
            UserDeactivate => (
                "user.deactivate",
                "user",
                "deactivated an account",
                "deactivate an account",
            ),
            UserReactivate => (
                "user.reactivate",
                "user",
                "reactivated an account",
                "reactivate an account",
            ),
            UserPasswordReset => (
                "user.password_reset",
                "user",
                "reset a password",
                "reset a password",
            ),
            PatientCreate => (
                "patient.create",
                "patient",
                "opened your chart",
                "open a chart",
            ),
            PatientList => ("patient.list", "patient", "listed charts", "list charts"),
            PatientRead => (
                "patient.read",
                "patient",
                "viewed your details",
                "view your details",
            ),
            PatientUpdate => (
                "patient.update",
                "patient",
                "updated your details",
                "update your details",
            ),
            ChartView => (
                "chart.view",
                "patient",
                "viewed your chart",
                "view your chart",
            ),
            ChartExport => (
                "chart.export",
                "patient",
                "downloaded a copy of your chart",
                "download a copy of your chart",
            ),
            DashboardView => (
                "dashboard.view",
                "dashboard",
                "opened their dashboard",
                "open a dashboard",
            ),
            CareTeamList => (
                "care_team.list",
                "care_team",
                "viewed your care team",
                "view your care team",
            ),
            CareTeamAssign => (
                "care_team.assign",
                "care_team",
                "added a doctor to your care team",
                "add a doctor to your care team",
            ),
            CareTeamRemove => (
                "care_team.remove",
                "care_team",
                "took a doctor off your care team",
                "take a doctor off your care team",
            ),
            TraineeList => (
                "trainee.list",
                "trainee_link",
                "viewed your linked trainees",
                "view your linked trainees",
            ),
            TraineeLink => (
                "trainee.link",
                "trainee_link",
                "linked a trainee to your chart",
                "link a trainee to your chart",
            ),
            TraineeUnlink => (
                "trainee.unlink",
                "trainee_link",
                "unlinked a trainee from your chart",
                "unlink a trainee from your chart",
            ),
            GuardianList => (
                "guardian.list",
                "guardian",
                "viewed your chart's guardians",
                "view your chart's guardians",
            ),
            GuardianAdd => (
                "guardian.add",
                "guardian",
                "made someone a guardian of your chart",
                "make someone a guardian of your chart",
            ),
            GuardianEnd => (
                "guardian.end",
                "guardian",
                "ended a guardianship of your chart",
                "end a guardianship of your chart",
            ),
            RecordCreate => ("record.create", "record", "added a record", "add a record"),
            RecordList => (
                "record.list",
                "record",
                "read your records",
                "read your records",
            ),
            RecordRead => ("record.read", "record", "read a record", "read a record"),
            RecordAmend => (
                "record.amend",
                "record",
                "amended a record",
                "amend a record",
            ),
            RecordEnteredInError => (
                "record.entered_in_error",
                "record",
                "marked a record entered in error",
                "mark a record entered in error",
            ),
            RecordHistoryRead => (
                "record.history",
                "record",
                "read a record's history",
                "read a record's history",
            ),
            AllergyList => (
                "allergy.list",
                "allergy",
                "read your allergies",
                "read your allergies",
            ),
            AllergyRecord => (
                "allergy.record",
                "allergy",
                "recorded an allergy",
                "record an allergy",
            ),
            AllergyUpdate => (
                "allergy.update",
                "allergy",
                "changed an allergy",
                "change an allergy",
            ),
            ProblemList => (
                "problem.list",
                "problem",
                "read your problem list",
                "read your problem list",
            ),
            ProblemRecord => (
                "problem.record",
                "problem",
                "added a problem to your list",
                "add a problem to your list",
            ),
            ProblemUpdate => (
                "problem.update",
                "problem",
                "changed a problem on your list",
                "change a problem on your list",
            ),
            PrescriptionList => (
                "prescription.list",
                "prescription",
                "read your prescriptions",
                "read your prescriptions",
            ),
            PrescriptionCreate => (
                "prescription.create",
                "prescription",
                "prescribed a medication",
                "prescribe a medication",
            ),
            PrescriptionUpdate => (
                "prescription.update",
                "prescription",
                "changed a prescription's status",
                "change a prescription's status",
            ),
            LabResultList => (
                "lab_result.list",
                "lab_result",
                "read your lab results",
                "read your lab results",
            ),
            LabResultRecord => (
                "lab_result.record",
                "lab_result",
                "entered a lab result",
                "enter a lab result",
            ),
            LabResultEnteredInError => (
                "lab_result.entered_in_error",
                "lab_result",
                "marked a lab result entered in error",
                "mark a lab result entered in error",
            ),
            LabTrendRead => (
                "lab_result.trend",
                "lab_result",
                "viewed a lab test's trend",
                "view a lab test's trend",
            ),
            LabReportSend => (
                "lab_report.send",
                "lab_report",
                "sent a lab report to be read into your chart",
                "send a lab report to be read into your chart",
            ),
            LabReportRead => (
                "lab_report.read",
                "lab_report",
                "read a lab report into draft results",
                "read a lab report into draft results",
            ),
            LabReportView => (
                "lab_report.view",
                "lab_report",
                "looked at a lab report's reading",
                "look at a lab report's reading",
            ),
            LabReportList => (
                "lab_report.list",
                "lab_report",
                "listed your chart's lab reports",
                "list your chart's lab reports",
            ),
            LabReportReview => (
                "lab_report.review",
                "lab_report",
                "reviewed results read from a lab report",
                "review results read from a lab report",
            ),
            InsightRead => (
                "insight.read",
                "insight",
                "read the clinical insights from your results",
                "read the clinical insights from your results",
            ),
            SummaryRead => (
                "summary.read",
                "summary",
                "read your chart's summary",
                "read your chart's summary",
            ),
            SummaryDisclose => (
                "summary.disclose",
                "summary",
                "sent your chart's summary, without your name, to the summary service",
                "send your chart's summary to the summary service",
            ),
            AlertList => (
                "alert.list",
                "alert",
                "looked at alerts on your results",
                "look at alerts on your results",
            ),
            AlertAcknowledge => (
                "alert.acknowledge",
                "alert",
                "acknowledged an alert on a critical result",
                "acknowledge an alert on a critical result",
            ),
            InstitutionCreate => (
                "institution.create",
                "institution",
                "opened an institution",
                "open an institution",
            ),
            InstitutionList => (
                "institution.list",
                "institution",
                "listed institutions",
                "list institutions",
            ),
            StaffList => (
                "staff.list",
                "staff",
                "listed an institution's staff",
                "list an institution's staff",
            ),
            StaffAdd => (
                "staff.add",
                "staff",
                "gave someone a place at an institution",
                "give someone a place at an institution",
            ),
            StaffRemove => (
                "staff.remove",
                "staff",
                "took someone off an institution's staff",
                "take someone off an institution's staff",
            ),
            RegistrationAdd => (
                "registration.add",
                "registration",
                "registered you at an institution",
                "register you at an institution",
            ),
            RegistrationList => (
                "registration.list",
                "registration",
                "listed an institution's patients",
                "list an institution's patients",
            ),
            AvailabilitySet => (
                "availability.set",
                "availability",
                "set a doctor's hours",
                "set a doctor's hours",
            ),
            ScheduleRead => (
                "schedule.read",
                "appointment",
                "looked at a doctor's schedule",
                "look at a doctor's schedule",
            ),
            AppointmentBook => (
                "appointment.book",
                "appointment",
                "booked you a visit",
                "book you a visit",
            ),
            AppointmentRead => (
                "appointment.read",
                "appointment",
                "looked at your visit",
                "look at your visit",
            ),
            AppointmentList => (
                "appointment.list",
                "appointment",
                "listed your visits",
                "list your visits",
            ),
            AppointmentCancel => (
                "appointment.cancel",
                "appointment",
                "cancelled your visit",
                "cancel your visit",
            ),
            AppointmentReschedule => (
                "appointment.reschedule",
                "appointment",
                "moved your visit",
                "move your visit",
            ),
            CoverageRead => (
                "coverage.read",
                "coverage",
                "looked at your insurance",
                "look at your insurance",
            ),
            CoverageUpdate => (
                "coverage.update",
                "coverage",
                "changed your insurance details",
                "change your insurance details",
            ),
            EligibilityDisclose => (
                "eligibility.disclose",
                "coverage",
                "asked your insurer whether a visit is covered",
                "ask your insurer whether a visit is covered",
            ),
            FileList => (
                "file.list",
                "file",
                "listed your chart's files",
                "list your chart's files",
            ),
            FileUpload => (
                "file.upload",
                "file",
                "added a file to your chart",
                "add a file to your chart",
            ),
            FileRead => (
                "file.read",
                "file",
                "looked at a file's details",
                "look at a file's details",
            ),
            FileDownload => (
                "file.download",
                "file",
                "downloaded a file from your chart",
                "download a file from your chart",
            ),
            FileDelete => (
                "file.delete",
                "file",
                "deleted a file from your chart",
                "delete a file from your chart",
            ),
            FileRestore => (
                "file.restore",
                "file",
                "restored a deleted file to your chart",
                "restore a deleted file to your chart",
            ),
            InternGrantIssue => (
                "intern_grant.issue",
                "intern_grant",
                "gave an intern access to your chart",
                "give an intern access to your chart",
            ),
            InternGrantList => (
                "intern_grant.list",
                "intern_grant",
                "listed intern grants",
                "list intern grants",
            ),
            InternGrantEnd => (
                "intern_grant.end",
                "intern_grant",
                "ended an intern's access to your chart",
                "end an intern's access to your chart",
            ),
            EmergencyOpen => (
                "emergency.open",
                "emergency_access",
                "opened emergency access to your chart",
                "open emergency access to your chart",
            ),
            EmergencyList => (
                "emergency.list",
                "emergency_access",
                "listed emergency accesses",
                "list emergency accesses",
            ),
            AuditExport => (
                "audit.export",
                "audit",
                "exported the audit trail",
                "export the audit trail",
            ),
            AuditRead => (
                "audit.read",
                "audit",
                "read the audit trail",
                "read the audit trail",
            ),
            AccessReportRead => (
                "audit.access_report",
                "audit",
                "viewed who looked at your chart",
                "view who looked at your chart",
            ),
            RequestRepeat => (
                "request.repeat",
                "request",
                "repeated an earlier request and was given its first answer",
                "repeat an earlier request",
            ),
            DatabaseBackup => (
                "database.backup",
                "database",
                "copied every chart, yours included, into a backup",
                "back up the whole database",
            ),
            DatabaseRestore => (
                "database.restore",
                "database",
                "restored every chart, yours included, from a backup",
                "restore the whole database",
            ),
            DatabaseTransfer => (
                "database.transfer",
                "database",
                "moved every chart, yours included, to another database",
                "move the whole database",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AuditAction;

    #[test]
    fn every_action_has_its_own_code_and_parses_back() {
        let mut codes: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
            assert!(!action.in_words().is_empty() && !action.attempted().is_empty());
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), AuditAction::ALL.len());
        assert_eq!(AuditAction::parse("record.delete"), None);
    }
}
