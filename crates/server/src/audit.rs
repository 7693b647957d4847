//! Building audit entries. A use case's entries are committed with its changes in the group
//! commit, or, for a read, in the group commit before its answer; a denial's entry likewise,
//! after the use case's work was undone (see `AppState::run` and `AppState::view`).

use medvault_domain::{Actor, AuditAction, PatientId};
use medvault_store::repo::audit;
use medvault_store::{AuditEntry, DbConnection, Outcome, StoreError};

/// Where a request came from, for the audit trail.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub correlation_id: String,
    pub client_addr: Option<String>,
    /// The request's `Idempotency-Key`, which the create it asks for claims.
    pub idempotency: Option<std::sync::Arc<crate::http::idempotency::IdempotencyClaim>>,
}

/// What was refused, to be audited and then answered as "not found".
#[derive(Clone, Debug)]
pub struct Denial {
    /// The use case that was refused, named as it would have been had it been allowed.
    pub action: AuditAction,
    /// The caller may see what this is about (a chart they may read, a function that is no
    /// secret, an institution they work at), so its existence is no secret to them: the refusal
    /// is "forbidden", not "not found".
    pub visible: bool,
    pub resource_id: Option<String>,
    pub patient_id: Option<PatientId>,
}

impl Denial {
    /// A refusal of a function that concerns no particular patient or place.
    pub fn of_function(action: AuditAction) -> Self {
        Denial {
            action,
            visible: true,
            resource_id: None,
            patient_id: None,
        }
    }

    /// Whether the refusal may say so (403), or answers "not found", like something that does
    /// not exist.
    pub fn is_forbidden(&self) -> bool {
        self.visible
    }
}

/// The subject of one audit entry.
#[derive(Clone, Debug)]
pub struct Event<'a> {
    pub action: AuditAction,
    /// The resource's kind, where it is not the action's own (the user a sign-in proved).
    pub resource_type: Option<&'static str>,
    pub resource_id: Option<String>,
    pub patient_id: Option<PatientId>,
    pub outcome: Outcome,
    pub actor: Option<&'a Actor>,
    /// Why, where the actor stated a reason.
    pub reason: Option<String>,
    /// Done under emergency (break-the-glass) access.
    pub emergency: bool,
}

impl<'a> Event<'a> {
    /// An event with no actor (a failed sign-in, say).
    pub fn anonymous(action: AuditAction, outcome: Outcome) -> Self {
        Event {
            action,
            resource_type: None,
            resource_id: None,
            patient_id: None,
            outcome,
            actor: None,
            reason: None,
            emergency: false,
        }
    }

    /// A successful action by `actor`.
    pub fn success(actor: &'a Actor, action: AuditAction) -> Self {
        Event {
            actor: Some(actor),
            ..Event::anonymous(action, Outcome::Success)
        }
    }

    pub fn resource(mut self, id: impl ToString) -> Self {
        self.resource_id = Some(id.to_string());
        self
    }

    pub fn patient(mut self, id: PatientId) -> Self {
        self.patient_id = Some(id);
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub fn emergency(mut self, emergency: bool) -> Self {
        self.emergency = emergency;
        self
    }
}

/// The entry for `event`, stamped with the request's time, origin and correlation id.
pub fn entry(meta: &RequestMeta, at: chrono::NaiveDateTime, event: Event<'_>) -> AuditEntry {
    AuditEntry {
        at,
        actor_id: event.actor.map(|actor| actor.user_id.to_string()),
        actor_role: event.actor.map(|actor| actor.role.as_str().to_owned()),
        action: event.action.as_str().to_owned(),
        resource_type: event
            .resource_type
            .unwrap_or(event.action.resource_type())
            .to_owned(),
        resource_id: event.resource_id,
        patient_id: event.patient_id.map(|id| id.to_string()),
        outcome: event.outcome.as_str().to_owned(),
        client_addr: meta.client_addr.clone(),
        correlation_id: Some(meta.correlation_id.clone()),
        reason: event.reason,
        emergency: event.emergency,
    }
}

/// Appends one entry in the caller's transaction, for the acts that are not use cases (signing
/// in and out, say); use cases record theirs through [`crate::app::UseCase::record`].
pub fn record(
    conn: &mut DbConnection,
    meta: &RequestMeta,
    at: chrono::NaiveDateTime,
    event: Event<'_>,
) -> Result<(), StoreError> {
    audit::append(conn, &entry(meta, at, event))
}

/// The entry for a denial.
pub fn denial_entry(
    meta: &RequestMeta,
    at: chrono::NaiveDateTime,
    actor: &Actor,
    denial: &Denial,
) -> AuditEntry {
    let event = Event {
        resource_id: denial.resource_id.clone(),
        patient_id: denial.patient_id,
        actor: Some(actor),
        ..Event::anonymous(denial.action, Outcome::Denied)
    };
    entry(meta, at, event)
}
