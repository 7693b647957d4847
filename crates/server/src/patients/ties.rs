//! Standing ties between a user and a chart that give the user access to it: a doctor on the
//! care team, a trainee linked to the patient, a guardian of a dependent's chart. Making,
//! listing and ending them share one shape; the policy says who may do each. Ending a tie ends
//! the access at once, on every server, since every request asks the database.

use chrono::NaiveDateTime;
use medvault_domain::policy::{Action, TieKind};
use medvault_domain::{Actor, AuditAction, InvalidValue, PatientId, UserId};
use medvault_store::repo::{access, care_team, patients};
use medvault_store::{DbConnection, StoreError};

use super::{Subject, UserRef, authorize};
use crate::app::AppState;
use crate::audit::{Event, RequestMeta};
use crate::error::AppError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tie {
    /// A doctor on the patient's care team.
    CareTeam,
    /// A trainee linked to the patient.
    TraineeLink,
    /// A patient account that manages the chart as its patient would: a parent's of a child's.
    Guardian,
}

/// The audit actions of one kind of tie.
struct Audited {
    list: AuditAction,
    add: AuditAction,
    end: AuditAction,
}

impl Tie {
    /// Who may see the members: whoever reads the chart sees its care team and guardians;
    /// trainee links are the business of those who make them.
    fn list_action(self) -> Action {
        match self {
            Tie::CareTeam | Tie::Guardian => Action::ReadChart,
            Tie::TraineeLink => Action::LinkTrainee,
        }
    }

    /// Who may make and end the tie.
    fn change_action(self) -> Action {
        match self {
            Tie::CareTeam => Action::AssignCareTeam,
            Tie::TraineeLink => Action::LinkTrainee,
            Tie::Guardian => Action::ManageGuardians,
        }
    }

    fn audited_as(self) -> Audited {
        let (list, add, end) = match self {
            Tie::CareTeam => (
                AuditAction::CareTeamList,
                AuditAction::CareTeamAssign,
                AuditAction::CareTeamRemove,
            ),
            Tie::TraineeLink => (
                AuditAction::TraineeList,
                AuditAction::TraineeLink,
                AuditAction::TraineeUnlink,
            ),
            Tie::Guardian => (
                AuditAction::GuardianList,
                AuditAction::GuardianAdd,
                AuditAction::GuardianEnd,
            ),
        };
        Audited { list, add, end }
    }

    /// The API's field that names the tie's holder, and what they must be.
    pub(crate) fn holder_field(self) -> (&'static str, &'static str) {
        let (_, field, must_be) = self.holder();
        (field, must_be)
    }

    /// Who may hold the tie, the API's field that names them, and what they must be.
    fn holder(self) -> (TieKind, &'static str, &'static str) {
        match self {
            Tie::CareTeam => (TieKind::CareTeam, "doctor_id", "is not an active doctor"),
            Tie::TraineeLink => (
                TieKind::TraineeLink,
                "trainee_id",
                "is not an active trainee",
            ),
            Tie::Guardian => (
                TieKind::Guardian,
                "guardian_id",
                "is not an active patient account",
            ),
        }
    }

    fn insert(
        self,
        conn: &mut DbConnection,
        patient: PatientId,
        user: UserId,
        by: UserId,
        now: NaiveDateTime,
    ) -> Result<bool, StoreError> {
        match self {
            Tie::CareTeam => care_team::add(conn, patient, user, by, now),
            Tie::TraineeLink => access::link_trainee(conn, patient, user, by, now),
            Tie::Guardian => access::add_guardian(conn, patient, user, by, now),
        }
    }

    /// The users tied to a chart by this tie, named, earliest first.
    pub(crate) fn named_members(
        self,
        conn: &mut DbConnection,
        patient: PatientId,
    ) -> Result<Vec<Member>, AppError> {
        let members = match self {
            Tie::CareTeam => care_team::members(conn, patient)?,
            Tie::TraineeLink => access::trainees_of(conn, patient)?,
            Tie::Guardian => access::guardians_of(conn, patient)?,
        };
        Ok(named(members))
    }

    fn remove(
        self,
        conn: &mut DbConnection,
        patient: PatientId,
        user: UserId,
    ) -> Result<bool, StoreError> {
        match self {
            Tie::CareTeam => care_team::remove(conn, patient, user),
            Tie::TraineeLink => access::unlink_trainee(conn, patient, user),
            Tie::Guardian => access::end_guardian(conn, patient, user),
        }
    }
}

/// Someone tied to a chart, named.
pub struct Member {
    pub user_id: UserId,
    pub name: String,
}

/// The people of a tie as members.
pub(crate) fn named(people: Vec<(UserId, String)>) -> Vec<Member> {
    people
        .into_iter()
        .map(|(user_id, name)| Member { user_id, name })
        .collect()
}

/// The users tied to a chart, earliest first.
pub async fn members(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    tie: Tie,
) -> Result<Vec<Member>, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let subject = Subject::new(tie.audited_as().list);
            let granted = authorize(conn, &actor, patient, tie.list_action(), subject, uc.now)?;
            let members = tie.named_members(conn, patient)?;
            let event = Event::success(&actor, tie.audited_as().list)
                .patient(patient)
                .emergency(granted.emergency());
            uc.record(event);
            Ok(members)
        })
        .await
}

/// Ends a user's tie to a chart. Answers alike whether or not there was one; `true` if there was.
pub async fn end(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    user: UserId,
    tie: Tie,
) -> Result<bool, AppError> {
    state
        .run(actor, meta, move |conn, uc| {
            let subject = Subject::id(tie.audited_as().end, user);
            authorize(conn, &actor, patient, tie.change_action(), subject, uc.now)?;
            let ended = tie.remove(conn, patient, user)?;
            let event = Event::success(&actor, tie.audited_as().end)
                .resource(user)
                .patient(patient);
            uc.record(event);
            Ok(ended)
        })
        .await
}

/// Ties a user to a chart (again, if they are tied already); their id. The user must be active
/// and of the role the tie is for; a guardian must be someone other than the chart's patient.
pub async fn add(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    user: UserRef,
    tie: Tie,
) -> Result<UserId, AppError> {
    let audited = tie.audited_as().add;
    state
        .run(actor, meta, move |conn, uc| {
            let subject = Subject::new(audited);
            authorize(conn, &actor, patient, tie.change_action(), subject, uc.now)?;
            let (kind, id_field, must_be) = tie.holder();
            let field = user.field(id_field);
            let user = user.tieable(conn, kind, id_field, must_be)?;
            if tie == Tie::Guardian {
                let own_chart = patients::find_by_user(conn, user)?.map(|chart| chart.id);
                if own_chart == Some(patient) {
                    return Err(InvalidValue::new(field, "is this chart's own patient").into());
                }
            }
            tie.insert(conn, patient, user, actor.user_id, uc.now)?;
            let event = Event::success(&actor, audited)
                .resource(user)
                .patient(patient);
            uc.record(event);
            Ok(user)
        })
        .await
}
