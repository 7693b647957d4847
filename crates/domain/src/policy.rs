//! The access policy: every decision about who may do what is made here, and nowhere else.
//!
//! Deny by default: an action is allowed only by an explicit arm below. The store reports facts
//! (is this doctor on that patient's care team? is this chart the caller's own?) as a
//! [`Relation`]; this module turns role, relation and action into a [`Decision`]. Callers then
//! answer a denial about a patient's data with 404, so that a chart's existence is not revealed.

use crate::ids::{PatientId, UserId};
use crate::role::Role;

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
    /// No tie at all.
    Unrelated,
}

impl Relation {
    /// The relation from the facts the store can answer.
    pub fn of(actor: &Actor, patient: PatientId, on_care_team: bool) -> Self {
        if actor.patient_id == Some(patient) {
            Relation::Own
        } else if on_care_team {
            Relation::CareTeam
        } else {
            Relation::Unrelated
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Create users of any role (admins included), approve, list users.
    ManageUsers,
    /// Open a new patient chart.
    CreatePatient,
    /// See a patient's demographics.
    ReadChart,
    /// List and read a patient's clinical records.
    ReadRecords,
    /// Write a clinical record into a patient's chart.
    WriteRecord,
    /// Put a doctor on a patient's care team.
    AssignCareTeam,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::ManageUsers,
        Action::CreatePatient,
        Action::ReadChart,
        Action::ReadRecords,
        Action::WriteRecord,
        Action::AssignCareTeam,
    ];

    /// The name used in audit entries.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::ManageUsers => "users.manage",
            Action::CreatePatient => "patient.create",
            Action::ReadChart => "patient.read",
            Action::ReadRecords => "record.read",
            Action::WriteRecord => "record.create",
            Action::AssignCareTeam => "care_team.assign",
        }
    }
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
        (Role::Admin, _) => true,
        (Role::Doctor, CreatePatient) => true,
        (Role::Doctor, ReadChart | ReadRecords | WriteRecord) => relation == CareTeam,
        (Role::Patient, ReadChart | ReadRecords | AssignCareTeam) => relation == Own,
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
    Only(PatientId),
    Nothing,
}

pub fn patient_scope(actor: &Actor) -> PatientScope {
    match (actor.role, actor.patient_id) {
        (Role::Admin, _) => PatientScope::All,
        (Role::Doctor, _) => PatientScope::CareTeamOf(actor.user_id),
        (Role::Patient, Some(own)) => PatientScope::Only(own),
        (Role::Patient, None) => PatientScope::Nothing,
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
        let allowed: &[(Role, Relation, Action)] = &[
            (Role::Doctor, Unrelated, CreatePatient),
            (Role::Doctor, CareTeam, CreatePatient),
            (Role::Doctor, Own, CreatePatient),
            (Role::Doctor, CareTeam, ReadChart),
            (Role::Doctor, CareTeam, ReadRecords),
            (Role::Doctor, CareTeam, WriteRecord),
            (Role::Patient, Own, ReadChart),
            (Role::Patient, Own, ReadRecords),
            (Role::Patient, Own, AssignCareTeam),
        ];
        for role in Role::ALL {
            let who = actor(role);
            for relation in [Own, CareTeam, Unrelated] {
                for action in Action::ALL {
                    let expected =
                        role == Role::Admin || allowed.contains(&(role, relation, action));
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
    fn relation_prefers_own_chart() {
        let patient = actor(Role::Patient);
        let own = patient.patient_id.expect("patients have a chart");
        assert_eq!(Relation::of(&patient, own, false), Relation::Own);
        assert_eq!(
            Relation::of(&patient, PatientId::new(), false),
            Relation::Unrelated
        );
        let doctor = actor(Role::Doctor);
        assert_eq!(Relation::of(&doctor, own, true), Relation::CareTeam);
    }

    #[test]
    fn list_scope_follows_role() {
        let admin = actor(Role::Admin);
        let doctor = actor(Role::Doctor);
        let patient = actor(Role::Patient);
        assert_eq!(patient_scope(&admin), PatientScope::All);
        assert_eq!(
            patient_scope(&doctor),
            PatientScope::CareTeamOf(doctor.user_id)
        );
        assert_eq!(
            patient_scope(&patient),
            PatientScope::Only(patient.patient_id.expect("chart"))
        );
        let unlinked = Actor {
            patient_id: None,
            ..patient
        };
        assert_eq!(patient_scope(&unlinked), PatientScope::Nothing);
    }
}
