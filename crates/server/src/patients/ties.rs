//! Standing ties between a user and a chart that give the user access to it: a doctor on the
//! care team, a trainee linked to the patient. Listing and ending them share one shape; the
//! policy says who may do each. Ending a tie ends the access at once, on every server, since
//! every request asks the database.

use medvault_domain::policy::Action;
use medvault_domain::{Actor, AuditAction, PatientId, UserId};
use medvault_store::repo::{access, care_team};
use medvault_store::{DbConnection, StoreError};

use super::{Subject, authorize};
use crate::app::AppState;
use crate::audit::{Event, RequestMeta};
use crate::error::AppError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tie {
    /// A doctor on the patient's care team.
    CareTeam,
    /// A trainee linked to the patient.
    TraineeLink,
}

impl Tie {
    /// Who may see the members: whoever reads the chart sees its care team; trainee links are
    /// the business of those who make them.
    fn list_action(self) -> Action {
        match self {
            Tie::CareTeam => Action::ReadChart,
            Tie::TraineeLink => Action::LinkTrainee,
        }
    }

    fn end_action(self) -> Action {
        match self {
            Tie::CareTeam => Action::AssignCareTeam,
            Tie::TraineeLink => Action::LinkTrainee,
        }
    }

    /// The audit actions of listing and of ending.
    fn audited_as(self) -> (AuditAction, AuditAction) {
        match self {
            Tie::CareTeam => (AuditAction::CareTeamList, AuditAction::CareTeamRemove),
            Tie::TraineeLink => (AuditAction::TraineeList, AuditAction::TraineeUnlink),
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
        };
        Ok(members
            .into_iter()
            .map(|(user_id, name)| Member { user_id, name })
            .collect())
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
        }
    }
}

/// Someone tied to a chart, named.
pub struct Member {
    pub user_id: UserId,
    pub name: String,
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
            let subject = Subject::new(tie.audited_as().0);
            let granted = authorize(conn, &actor, patient, tie.list_action(), subject, uc.now)?;
            let members = tie.named_members(conn, patient)?;
            let event = Event::success(&actor, tie.audited_as().0)
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
            let subject = Subject::id(tie.audited_as().1, user);
            authorize(conn, &actor, patient, tie.end_action(), subject, uc.now)?;
            let ended = tie.remove(conn, patient, user)?;
            let event = Event::success(&actor, tie.audited_as().1)
                .resource(user)
                .patient(patient);
            uc.record(event);
            Ok(ended)
        })
        .await
}
