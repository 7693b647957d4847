//! The access policy: every decision about who may do what is made here, and nowhere else.
//!
//! Deny by default: an action is allowed only by an explicit arm below. The store reports facts
//! (is this doctor on that patient's care team? does this intern hold a grant now?) as a
//! [`Relation`]; this module turns role, relation and action into a [`Decision`]. Callers then
//! answer a denial about a patient's data with 404, so that a chart's existence is not revealed.

use crate::ids::{PatientId, UserId};
use crate::institutions::StaffRole;
use crate::role::{Role, UserStatus};

/// Who is asking: the signed-in user behind a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub role: Role,
    /// The chart linked to this login, for patients.
    pub patient_id: Option<PatientId>,
}

/// How an actor stands to one patient's chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Relation {
    /// The chart is the actor's own.
    Own,
    /// The actor is a doctor on the patient's care team.
    CareTeam,
    /// The actor is a trainee linked to the patient.
    TraineeLink,
    /// The actor is an intern holding a grant for the patient, now.
    InternGrant,
    /// The actor is a doctor with an open emergency (break-the-glass) access to the chart.
    Emergency,
    /// The actor is a patient account that is the chart's guardian (a parent, say).
    Guardian,
    /// The actor runs an institution, or its front desk, where the patient is registered.
    Institution,
    /// No tie at all.
    Unrelated,
}

/// What the store knows about one actor and one chart, now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ties {
    pub care_team: bool,
    pub trainee_link: bool,
    pub intern_grant: bool,
    pub emergency: bool,
    pub guardian: bool,
    /// Admin or reception at an institution where the patient is registered.
    pub institution_desk: bool,
}

impl Relation {
    pub const ALL: [Relation; 8] = [
        Relation::Own,
        Relation::CareTeam,
        Relation::TraineeLink,
        Relation::InternGrant,
        Relation::Emergency,
        Relation::Guardian,
        Relation::Institution,
        Relation::Unrelated,
    ];

    /// The strongest relation the facts support. A tie that does not fit the actor's role (a
    /// grant held by someone who is no longer an intern, say) counts for nothing.
    pub fn of(actor: &Actor, patient: PatientId, ties: Ties) -> Self {
        match actor.role {
            _ if actor.patient_id == Some(patient) => Relation::Own,
            Role::Doctor if ties.care_team => Relation::CareTeam,
            Role::Doctor if ties.emergency => Relation::Emergency,
            Role::Trainee if ties.trainee_link => Relation::TraineeLink,
            Role::Intern if ties.intern_grant => Relation::InternGrant,
            Role::Patient if ties.guardian => Relation::Guardian,
            role if ties.institution_desk && role != Role::Patient => Relation::Institution,
            _ => Relation::Unrelated,
        }
    }

    /// Access under break-the-glass: every audit entry it leads to is flagged.
    pub fn is_emergency(self) -> bool {
        self == Relation::Emergency
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Own => "own",
            Relation::CareTeam => "care_team",
            Relation::TraineeLink => "trainee_link",
            Relation::InternGrant => "intern_grant",
            Relation::Emergency => "emergency",
            Relation::Guardian => "guardian",
            Relation::Institution => "institution",
            Relation::Unrelated => "unrelated",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Create users of any role (admins included), approve, deactivate, reset passwords, list
    /// users, see every grant and emergency access and the whole audit trail.
    ManageUsers,
    /// Open a new patient chart.
    CreatePatient,
    /// See a patient's demographics.
    ReadChart,
    /// Change who the patient is on record (name, date of birth, sex) and how to reach them.
    EditProfile,
    /// Change how to reach the patient (phone, email, address, emergency contact, language).
    EditContactDetails,
    /// List and read a patient's clinical records.
    ReadRecords,
    /// Write a clinical record into a patient's chart.
    WriteRecord,
    /// Prescribe a drug, and complete, stop or correct a prescription: a licensed clinician's
    /// act, so a care-team doctor's only.
    Prescribe,
    /// Put a doctor on a patient's care team.
    AssignCareTeam,
    /// Link a trainee to a patient.
    LinkTrainee,
    /// Issue or end an intern's grant for a patient.
    GrantIntern,
    /// Open emergency (break-the-glass) access to a chart.
    BreakGlass,
    /// Make a patient account a chart's guardian, or end that.
    ManageGuardians,
    /// Read the audit trail of one patient's chart.
    ReadChartAudit,
    /// Download the whole chart as one document: the patient's right of access.
    ExportChart,
    /// Bring back a file deleted from a chart (within 30 days): an administrator's act.
    RestoreFile,
    /// Send a lab report to be read into the chart: whoever takes part in the patient's care,
    /// an intern within their grant, and the patient (marked as provided by them).
    UploadLabReport,
    /// See what was read from a report before a doctor confirmed it: the clinical team, never
    /// the patient (who sees confirmed results only) nor an intern.
    ReadLabDrafts,
    /// Correct, confirm or reject a report's rows, putting the confirmed ones in the chart: a
    /// care-team doctor's act.
    ReviewLabReport,
    /// Read the chart's clinical insights: advice to clinicians, as drafts are.
    ReadInsights,
    /// Acknowledge a critical result's alert: a doctor looking after the patient.
    AcknowledgeAlert,
    /// Record the patient's insurance: the patient, the front desk of an institution they are
    /// registered at, an administrator.
    EditCoverage,
}

impl Action {
    pub const ALL: [Action; 22] = [
        Action::ManageUsers,
        Action::CreatePatient,
        Action::ReadChart,
        Action::EditProfile,
        Action::EditContactDetails,
        Action::ReadRecords,
        Action::WriteRecord,
        Action::Prescribe,
        Action::AssignCareTeam,
        Action::LinkTrainee,
        Action::GrantIntern,
        Action::BreakGlass,
        Action::ManageGuardians,
        Action::ReadChartAudit,
        Action::ExportChart,
        Action::RestoreFile,
        Action::UploadLabReport,
        Action::ReadLabDrafts,
        Action::ReviewLabReport,
        Action::ReadInsights,
        Action::AcknowledgeAlert,
        Action::EditCoverage,
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// Decides one action. `relation` is ignored for actions that concern no particular patient.
pub fn decide(actor: &Actor, action: Action, relation: Relation) -> Decision {
    use Action::*;
    use Relation::*;
    let allowed = match (actor.role, action) {
        // An administrator runs the system; they do not treat patients.
        (Role::Admin, BreakGlass | Prescribe | ReviewLabReport | AcknowledgeAlert) => false,
        (Role::Admin, _) => true,
        // The front desk knows who its patients are and how they pay, not what ails them.
        (role, ReadChart | EditCoverage) if relation == Institution => role != Role::Patient,
        (Role::Doctor, CreatePatient) => true,
        (
            Role::Doctor,
            ReadChart | ReadRecords | ReadLabDrafts | ReadInsights | AcknowledgeAlert,
        ) => {
            matches!(relation, CareTeam | Emergency)
        }
        (
            Role::Doctor,
            WriteRecord | Prescribe | EditProfile | EditContactDetails | LinkTrainee | GrantIntern
            | ManageGuardians | ReadChartAudit | ExportChart | UploadLabReport | ReviewLabReport,
        ) => relation == CareTeam,
        // Off the care team, a doctor may break the glass (again, while it is open); on it, there
        // is nothing to break.
        (Role::Doctor, BreakGlass) => matches!(relation, Unrelated | Emergency),
        (
            Role::Trainee,
            ReadChart | ReadRecords | ReadLabDrafts | ReadInsights | UploadLabReport,
        ) => relation == TraineeLink,
        // Interns see demographics, never clinical notes; they may hand in a lab's report.
        (Role::Intern, ReadChart | UploadLabReport) => relation == InternGrant,
        // A patient keeps their contact details up to date; who they are on record is the care
        // team's to change. A guardian manages a dependent's chart as the patient would.
        (
            Role::Patient,
            ReadChart | ReadRecords | EditContactDetails | AssignCareTeam | ReadChartAudit
            | ExportChart | UploadLabReport | EditCoverage,
        ) => matches!(relation, Own | Guardian),
        _ => false,
    };
    if allowed {
        Decision::Allow
    } else {
        Decision::Deny
    }
}

/// Which charts a patient list may contain for this actor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatientScope {
    All,
    CareTeamOf(UserId),
    LinkedTrainee(UserId),
    /// Charts in the intern's grants that are active at the time of the query.
    GrantedIntern(UserId),
    /// A patient's own chart (if the account has one) and those they are the guardian of.
    OwnAndDependents {
        own: Option<PatientId>,
        guardian: UserId,
    },
    /// Charts registered at the institutions whose admin or front desk the user is.
    AtDesksOf(UserId),
}

pub fn patient_scope(actor: &Actor) -> PatientScope {
    match (actor.role, actor.patient_id) {
        (Role::Admin, _) => PatientScope::All,
        (Role::Doctor, _) => PatientScope::CareTeamOf(actor.user_id),
        (Role::Trainee, _) => PatientScope::LinkedTrainee(actor.user_id),
        (Role::Intern, _) => PatientScope::GrantedIntern(actor.user_id),
        (Role::Patient, own) => PatientScope::OwnAndDependents {
            own,
            guardian: actor.user_id,
        },
        (Role::Staff, _) => PatientScope::AtDesksOf(actor.user_id),
    }
}

/// How an actor stands at one institution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Standing {
    Member(StaffRole),
    Outsider,
}

impl Standing {
    /// Admin or reception: the people who register patients and book their visits.
    pub fn at_desk(self) -> bool {
        matches!(
            self,
            Standing::Member(StaffRole::Admin | StaffRole::Reception)
        )
    }
}

/// An act about an institution rather than a chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InstitutionAct {
    /// Open a new institution: a system administrator's act.
    Create,
    /// See who works there.
    ListStaff,
    /// Add, change or remove its staff, one by one or from a file.
    ManageStaff,
    /// Register patients there and list the patients registered.
    RegisterPatients,
    /// Set a doctor's hours and days off there: the doctor's own (`own`), or anyone's by the
    /// institution's admin.
    SetAvailability { own: bool },
    /// See a doctor's appointments there: their own, or anyone's by the admin or front desk.
    ReadSchedule { own: bool },
}

impl InstitutionAct {
    pub const ALL: [InstitutionAct; 8] = [
        InstitutionAct::Create,
        InstitutionAct::ListStaff,
        InstitutionAct::ManageStaff,
        InstitutionAct::RegisterPatients,
        InstitutionAct::SetAvailability { own: true },
        InstitutionAct::SetAvailability { own: false },
        InstitutionAct::ReadSchedule { own: true },
        InstitutionAct::ReadSchedule { own: false },
    ];
}

/// Decides an act at an institution from how the actor stands there. A system administrator
/// may do all of them; anyone else only where they work.
pub fn decide_at(actor: &Actor, act: InstitutionAct, standing: Standing) -> Decision {
    use InstitutionAct::*;
    let role_there = match standing {
        Standing::Member(role) => Some(role),
        Standing::Outsider => None,
    };
    let allowed = actor.role == Role::Admin
        || match act {
            Create => false,
            ListStaff => role_there.is_some(),
            ManageStaff => role_there == Some(StaffRole::Admin),
            RegisterPatients => standing.at_desk(),
            SetAvailability { own } => {
                role_there == Some(StaffRole::Admin)
                    || (own
                        && actor.role == Role::Doctor
                        && role_there == Some(StaffRole::Clinician))
            }
            ReadSchedule { own } => {
                standing.at_desk() || (own && role_there == Some(StaffRole::Clinician))
            }
        };
    if allowed {
        Decision::Allow
    } else {
        Decision::Deny
    }
}

/// An act on an appointment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppointmentAct {
    Book,
    See,
    /// Cancel or reschedule.
    Change,
}

/// How an actor stands to one appointment (or, for a booking, the one asked for).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppointmentTies {
    /// To the patient's chart.
    pub relation: Relation,
    /// Admin or reception at the appointment's institution, where the patient is registered.
    pub desk: bool,
    /// The actor is the doctor the visit is with.
    pub its_doctor: bool,
}

/// Decides an act on an appointment: the patient (or their guardian) books, sees and changes
/// their own; the front desk of its institution does so for them; its doctor sees and changes
/// their schedule; a care-team doctor books follow-ups and sees what is planned.
pub fn decide_appointment(actor: &Actor, act: AppointmentAct, ties: AppointmentTies) -> Decision {
    use AppointmentAct::*;
    let patient_side =
        actor.role == Role::Patient && matches!(ties.relation, Relation::Own | Relation::Guardian);
    let allowed = actor.role == Role::Admin
        || patient_side
        || ties.desk
        || (ties.its_doctor && matches!(act, See | Change))
        || (actor.role == Role::Doctor
            && ties.relation == Relation::CareTeam
            && matches!(act, Book | See));
    if allowed {
        Decision::Allow
    } else {
        Decision::Deny
    }
}

/// A tie a user can be given to a chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TieKind {
    CareTeam,
    TraineeLink,
    InternGrant,
    Guardian,
}

/// Whether an active user of `role` may be given a tie of this kind: doctors join care teams,
/// trainees are linked, interns are granted, patient accounts become guardians.
pub fn may_hold(role: Role, tie: TieKind) -> bool {
    matches!(
        (tie, role),
        (TieKind::CareTeam, Role::Doctor)
            | (TieKind::TraineeLink, Role::Trainee)
            | (TieKind::InternGrant, Role::Intern)
            | (TieKind::Guardian, Role::Patient)
    )
}

/// The status of an account someone registers for themselves with `role`: a doctor waits for an
/// admin's approval unless registration is open.
pub fn registered_status(role: Role, open_registration: bool) -> UserStatus {
    match role {
        Role::Doctor if !open_registration => UserStatus::Pending,
        _ => UserStatus::Active,
    }
}

/// Whether an account of this role comes with a chart of its own: patients', whose dashboard is
/// where they manage it.
pub fn has_own_chart(role: Role) -> bool {
    role == Role::Patient
}

/// Whether access of this role comes only from grants: an intern is signed in only while they
/// hold an active one, and loses them all when their account is deactivated.
pub fn access_is_by_grant(role: Role) -> bool {
    role == Role::Intern
}

/// A doctor who opens a chart looks after that patient: they join its care team.
pub fn joins_care_team_of_new_chart(actor: &Actor) -> bool {
    actor.role == Role::Doctor
}

/// Whose authored records an actor's dashboard lists: a doctor their own, no one else any.
pub fn authored_records_of(actor: &Actor) -> Option<UserId> {
    (actor.role == Role::Doctor).then_some(actor.user_id)
}

/// Whether a chart's access report may name someone of this role: staff yes; another patient
/// never, since that would tell one patient who else is a patient here.
pub fn named_in_access_reports(role: Role) -> bool {
    role != Role::Patient
}

/// The web pages that belong to some roles only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Admin,
    DoctorDashboard,
    PatientDashboard,
    /// Trainees', interns' and institution staff's list of the charts they may read.
    StaffDashboard,
}

pub fn may_open(actor: &Actor, page: Page) -> bool {
    matches!(
        (page, actor.role),
        (Page::Admin, Role::Admin)
            | (Page::DoctorDashboard, Role::Doctor)
            | (Page::PatientDashboard, Role::Patient)
            | (
                Page::StaffDashboard,
                Role::Trainee | Role::Intern | Role::Staff
            )
    )
}

/// Which part of the audit trail an actor may search: admins all of it, a doctor the entries
/// about the patients on their care team, anyone else none (a patient reads their own chart's
/// access report instead).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditScope {
    All,
    CareTeamOf(UserId),
    Nothing,
}

pub fn audit_scope(actor: &Actor) -> AuditScope {
    match actor.role {
        Role::Admin => AuditScope::All,
        Role::Doctor => AuditScope::CareTeamOf(actor.user_id),
        Role::Trainee | Role::Intern | Role::Patient | Role::Staff => AuditScope::Nothing,
    }
}

/// Which access ties (intern grants, emergency accesses) an actor may list: admins oversee
/// all, a doctor those they issued or opened, anyone else none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OversightScope {
    All,
    MadeBy(UserId),
    Nothing,
}

pub fn oversight_scope(actor: &Actor) -> OversightScope {
    match actor.role {
        Role::Admin => OversightScope::All,
        Role::Doctor => OversightScope::MadeBy(actor.user_id),
        Role::Trainee | Role::Intern | Role::Patient | Role::Staff => OversightScope::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: UserId::new(),
            role,
            patient_id: (role == Role::Patient).then(PatientId::new),
        }
    }

    /// The whole matrix, written out: role × relation × action → allowed. A change to the policy
    /// must change this table too.
    #[test]
    fn policy_matrix() {
        use Action::*;
        use Relation::*;
        #[rustfmt::skip]
        let allowed: &[(Role, &[Relation], Action)] = &[
            (Role::Admin, &Relation::ALL, ManageUsers),
            (Role::Admin, &Relation::ALL, CreatePatient),
            (Role::Admin, &Relation::ALL, ReadChart),
            (Role::Admin, &Relation::ALL, EditProfile),
            (Role::Admin, &Relation::ALL, EditContactDetails),
            (Role::Admin, &Relation::ALL, ReadRecords),
            (Role::Admin, &Relation::ALL, WriteRecord),
            (Role::Admin, &Relation::ALL, AssignCareTeam),
            (Role::Admin, &Relation::ALL, LinkTrainee),
            (Role::Admin, &Relation::ALL, GrantIntern),
            (Role::Admin, &Relation::ALL, ManageGuardians),
            (Role::Admin, &Relation::ALL, ReadChartAudit),
            (Role::Admin, &Relation::ALL, ExportChart),
            (Role::Admin, &Relation::ALL, RestoreFile),
            (Role::Admin, &Relation::ALL, UploadLabReport),
            (Role::Admin, &Relation::ALL, ReadLabDrafts),
            (Role::Admin, &Relation::ALL, ReadInsights),
            (Role::Doctor, &Relation::ALL, CreatePatient),
            (Role::Doctor, &[CareTeam, Emergency], ReadChart),
            (Role::Doctor, &[CareTeam, Emergency], ReadRecords),
            (Role::Doctor, &[CareTeam], WriteRecord),
            (Role::Doctor, &[CareTeam], Prescribe),
            (Role::Doctor, &[CareTeam], EditProfile),
            (Role::Doctor, &[CareTeam], EditContactDetails),
            (Role::Doctor, &[CareTeam], LinkTrainee),
            (Role::Doctor, &[CareTeam], GrantIntern),
            (Role::Doctor, &[CareTeam], ManageGuardians),
            (Role::Doctor, &[CareTeam], ReadChartAudit),
            (Role::Doctor, &[CareTeam], ExportChart),
            (Role::Doctor, &[CareTeam], UploadLabReport),
            (Role::Doctor, &[CareTeam, Emergency], ReadLabDrafts),
            (Role::Doctor, &[CareTeam, Emergency], ReadInsights),
            (Role::Doctor, &[CareTeam, Emergency], AcknowledgeAlert),
            (Role::Doctor, &[CareTeam], ReviewLabReport),
            (Role::Doctor, &[Unrelated, Emergency], BreakGlass),
            (Role::Trainee, &[TraineeLink], ReadChart),
            (Role::Trainee, &[TraineeLink], ReadRecords),
            (Role::Trainee, &[TraineeLink], ReadLabDrafts),
            (Role::Trainee, &[TraineeLink], ReadInsights),
            (Role::Trainee, &[TraineeLink], UploadLabReport),
            (Role::Intern, &[InternGrant], ReadChart),
            (Role::Intern, &[InternGrant], UploadLabReport),
            (Role::Patient, &[Own, Guardian], ReadChart),
            (Role::Patient, &[Own, Guardian], ReadRecords),
            (Role::Patient, &[Own, Guardian], EditContactDetails),
            (Role::Patient, &[Own, Guardian], AssignCareTeam),
            (Role::Patient, &[Own, Guardian], ReadChartAudit),
            (Role::Patient, &[Own, Guardian], ExportChart),
            (Role::Patient, &[Own, Guardian], UploadLabReport),
            (Role::Patient, &[Own, Guardian], EditCoverage),
            (Role::Admin, &Relation::ALL, EditCoverage),
            (Role::Doctor, &[Institution], ReadChart),
            (Role::Doctor, &[Institution], EditCoverage),
            (Role::Trainee, &[Institution], ReadChart),
            (Role::Trainee, &[Institution], EditCoverage),
            (Role::Intern, &[Institution], ReadChart),
            (Role::Intern, &[Institution], EditCoverage),
            (Role::Staff, &[Institution], ReadChart),
            (Role::Staff, &[Institution], EditCoverage),
        ];
        for role in Role::ALL {
            let who = actor(role);
            for relation in Relation::ALL {
                for action in Action::ALL {
                    let expected = allowed.iter().any(|(r, relations, a)| {
                        *r == role && *a == action && relations.contains(&relation)
                    });
                    assert_eq!(
                        decide(&who, action, relation).is_allowed(),
                        expected,
                        "{role:?} {relation:?} {action:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn relation_takes_the_strongest_tie_that_fits_the_role() {
        let patient = actor(Role::Patient);
        let own = patient.patient_id.expect("patients have a chart");
        assert_eq!(Relation::of(&patient, own, Ties::default()), Relation::Own);
        assert_eq!(
            Relation::of(&patient, PatientId::new(), Ties::default()),
            Relation::Unrelated
        );
        let doctor = actor(Role::Doctor);
        let all = Ties {
            care_team: true,
            trainee_link: true,
            intern_grant: true,
            emergency: true,
            guardian: true,
            institution_desk: true,
        };
        assert_eq!(Relation::of(&doctor, own, all), Relation::CareTeam);
        assert_eq!(
            Relation::of(&actor(Role::Staff), own, all),
            Relation::Institution
        );
        assert_eq!(
            Relation::of(
                &doctor,
                own,
                Ties {
                    emergency: true,
                    ..Ties::default()
                }
            ),
            Relation::Emergency
        );
        assert_eq!(
            Relation::of(&actor(Role::Trainee), own, all),
            Relation::TraineeLink
        );
        assert_eq!(
            Relation::of(&actor(Role::Intern), own, all),
            Relation::InternGrant
        );
        // A patient's own chart comes before a guardianship of it; another's, by guardianship.
        assert_eq!(Relation::of(&patient, own, all), Relation::Own);
        assert_eq!(
            Relation::of(&patient, PatientId::new(), all),
            Relation::Guardian
        );
        // A tie of another role's kind is no tie.
        assert_eq!(
            Relation::of(
                &actor(Role::Intern),
                own,
                Ties {
                    care_team: true,
                    ..Ties::default()
                }
            ),
            Relation::Unrelated
        );
    }

    #[test]
    fn list_scope_follows_role() {
        let patient = actor(Role::Patient);
        assert_eq!(patient_scope(&actor(Role::Admin)), PatientScope::All);
        let doctor = actor(Role::Doctor);
        assert_eq!(
            patient_scope(&doctor),
            PatientScope::CareTeamOf(doctor.user_id)
        );
        let trainee = actor(Role::Trainee);
        assert_eq!(
            patient_scope(&trainee),
            PatientScope::LinkedTrainee(trainee.user_id)
        );
        let intern = actor(Role::Intern);
        assert_eq!(
            patient_scope(&intern),
            PatientScope::GrantedIntern(intern.user_id)
        );
        assert_eq!(
            patient_scope(&patient),
            PatientScope::OwnAndDependents {
                own: patient.patient_id,
                guardian: patient.user_id
            }
        );
        let unlinked = Actor {
            patient_id: None,
            ..patient
        };
        assert_eq!(
            patient_scope(&unlinked),
            PatientScope::OwnAndDependents {
                own: None,
                guardian: patient.user_id
            }
        );
    }

    #[test]
    fn pages_ties_and_accounts_by_role() {
        let pages = [
            (Page::Admin, Role::Admin),
            (Page::DoctorDashboard, Role::Doctor),
            (Page::PatientDashboard, Role::Patient),
            (Page::StaffDashboard, Role::Trainee),
            (Page::StaffDashboard, Role::Intern),
            (Page::StaffDashboard, Role::Staff),
        ];
        for page in [
            Page::Admin,
            Page::DoctorDashboard,
            Page::PatientDashboard,
            Page::StaffDashboard,
        ] {
            for role in Role::ALL {
                assert_eq!(
                    may_open(&actor(role), page),
                    pages.contains(&(page, role)),
                    "{role:?} on {page:?}"
                );
            }
        }
        for role in Role::ALL {
            assert_eq!(may_hold(role, TieKind::CareTeam), role == Role::Doctor);
            assert_eq!(may_hold(role, TieKind::TraineeLink), role == Role::Trainee);
            assert_eq!(may_hold(role, TieKind::InternGrant), role == Role::Intern);
            assert_eq!(may_hold(role, TieKind::Guardian), role == Role::Patient);
            assert_eq!(named_in_access_reports(role), role != Role::Patient);
        }
        assert_eq!(registered_status(Role::Doctor, false), UserStatus::Pending);
        assert_eq!(registered_status(Role::Doctor, true), UserStatus::Active);
        assert_eq!(registered_status(Role::Patient, false), UserStatus::Active);
    }

    #[test]
    fn institutions_are_run_by_their_own_staff() {
        use InstitutionAct::*;
        let admin = actor(Role::Admin);
        let doctor = actor(Role::Doctor);
        let clerk = actor(Role::Staff);
        for act in InstitutionAct::ALL {
            assert!(
                decide_at(&admin, act, Standing::Outsider).is_allowed(),
                "{act:?}"
            );
            for who in [&doctor, &clerk] {
                assert!(
                    !decide_at(who, act, Standing::Outsider).is_allowed(),
                    "{act:?}"
                );
            }
        }
        let allowed =
            |who: &Actor, act, role| decide_at(who, act, Standing::Member(role)).is_allowed();
        assert!(!allowed(&clerk, Create, StaffRole::Admin));
        assert!(allowed(&clerk, ManageStaff, StaffRole::Admin));
        assert!(!allowed(&clerk, ManageStaff, StaffRole::Reception));
        assert!(allowed(&clerk, RegisterPatients, StaffRole::Reception));
        assert!(!allowed(&doctor, RegisterPatients, StaffRole::Clinician));
        assert!(allowed(&doctor, ListStaff, StaffRole::Clinician));
        assert!(allowed(
            &doctor,
            SetAvailability { own: true },
            StaffRole::Clinician
        ));
        assert!(!allowed(
            &doctor,
            SetAvailability { own: false },
            StaffRole::Clinician
        ));
        assert!(!allowed(
            &actor(Role::Trainee),
            SetAvailability { own: true },
            StaffRole::Clinician
        ));
        assert!(allowed(
            &clerk,
            SetAvailability { own: false },
            StaffRole::Admin
        ));
        assert!(!allowed(
            &clerk,
            SetAvailability { own: false },
            StaffRole::Reception
        ));
        assert!(allowed(
            &clerk,
            ReadSchedule { own: false },
            StaffRole::Reception
        ));
        assert!(allowed(
            &doctor,
            ReadSchedule { own: true },
            StaffRole::Clinician
        ));
        assert!(!allowed(
            &doctor,
            ReadSchedule { own: false },
            StaffRole::Clinician
        ));
    }

    #[test]
    fn appointments_belong_to_the_patient_their_doctor_and_the_front_desk() {
        use AppointmentAct::*;
        let ties = |relation, desk, its_doctor| AppointmentTies {
            relation,
            desk,
            its_doctor,
        };
        let decide = |who: &Actor, act, t| decide_appointment(who, act, t).is_allowed();
        let patient = actor(Role::Patient);
        let doctor = actor(Role::Doctor);
        let clerk = actor(Role::Staff);
        for act in [Book, See, Change] {
            assert!(decide(
                &actor(Role::Admin),
                act,
                ties(Relation::Unrelated, false, false)
            ));
            assert!(decide(&patient, act, ties(Relation::Own, false, false)));
            assert!(decide(
                &patient,
                act,
                ties(Relation::Guardian, false, false)
            ));
            assert!(!decide(
                &patient,
                act,
                ties(Relation::Unrelated, false, false)
            ));
            assert!(decide(
                &clerk,
                act,
                ties(Relation::Institution, true, false)
            ));
            // Registered at one of the clerk's institutions, booked at another.
            assert!(!decide(
                &clerk,
                act,
                ties(Relation::Institution, false, false)
            ));
            assert!(!decide(
                &actor(Role::Trainee),
                act,
                ties(Relation::TraineeLink, false, false)
            ));
        }
        assert!(decide(&doctor, See, ties(Relation::Unrelated, false, true)));
        assert!(decide(
            &doctor,
            Change,
            ties(Relation::Unrelated, false, true)
        ));
        assert!(decide(
            &doctor,
            Book,
            ties(Relation::CareTeam, false, false)
        ));
        assert!(decide(&doctor, See, ties(Relation::CareTeam, false, false)));
        assert!(!decide(
            &doctor,
            Change,
            ties(Relation::CareTeam, false, false)
        ));
        assert!(!decide(
            &doctor,
            Book,
            ties(Relation::Emergency, false, false)
        ));
    }
}
