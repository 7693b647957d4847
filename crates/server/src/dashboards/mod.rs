//! The pages people land on, each read in one transaction and audited as one act: a doctor's
//! dashboard, a patient's own page, a trainee's or intern's list, and the administration page.

pub mod admin;
pub mod web;

use chrono::NaiveDateTime;
use medvault_domain::appointments::AppointmentStatus;
use medvault_domain::policy::{self, Action, PatientScope};
use medvault_domain::{Actor, AuditAction, Role, UserStatus};
use medvault_store::repo::access::{EmergencyAccess, InternGrant};
use medvault_store::repo::patients::{self, ChartSearch};
use medvault_store::repo::users;
use medvault_store::{DbConnection, Patient, Record, User, UserFilter};

use crate::app::AppState;
use crate::appointments::web::VisitNames;
use crate::audit::{Event, RequestMeta};
use crate::audit_log::{self, Access};
use crate::error::AppError;
use crate::names::{self, Names};
use crate::patients::authorize_global;
use crate::patients::view::{self, ChartView};
use crate::{access, records};

/// Where each role lands after signing in.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Admin => "/admin",
        Role::Doctor => "/doctor/dashboard",
        Role::Patient => "/patient/dashboard",
        Role::Trainee | Role::Intern | Role::Staff => "/staff/dashboard",
    }
}

/// How many items a landing page lists.
pub const ITEMS: usize = 200;

fn charts_of(
    conn: &mut DbConnection,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Vec<Patient>, AppError> {
    charts_found(conn, actor, &patients::ChartSearch::default(), now)
}

/// The first of the charts the actor may see that `search` finds.
fn charts_found(
    conn: &mut DbConnection,
    actor: &Actor,
    search: &patients::ChartSearch,
    now: NaiveDateTime,
) -> Result<Vec<Patient>, AppError> {
    let scope = policy::patient_scope(actor);
    Ok(patients::list(conn, scope, search, now, None, ITEMS)?.items)
}

/// A doctor's dashboard: their patients, the records they wrote, the grants they issued.
pub struct DoctorHome {
    pub charts: Vec<Patient>,
    /// Critical results on their patients' charts not yet acknowledged.
    pub alerts: Vec<medvault_store::repo::alerts::Alert>,
    pub authored: Vec<Record>,
    pub grants: Vec<InternGrant>,
    pub names: Names,
}

pub async fn doctor(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
) -> Result<DoctorHome, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let charts = charts_of(conn, &actor, uc.now)?;
            let alerts =
                medvault_store::repo::alerts::open_for_care_team(conn, actor.user_id, ITEMS)?;
            let authored = records::authored_in(conn, &actor, ITEMS)?;
            let grants = access::grants_in(conn, &actor, AuditAction::DashboardView)?;
            let names = names::of(
                conn,
                grants
                    .iter()
                    .map(|g| {
                        (
                            Some(g.intern_id.to_string()),
                            Some(g.patient_id.to_string()),
                        )
                    })
                    .chain(
                        alerts
                            .iter()
                            .map(|a| (None, Some(a.patient_id.to_string()))),
                    ),
            )?;
            uc.record(Event::success(&actor, AuditAction::DashboardView));
            Ok(DoctorHome {
                charts,
                alerts,
                authored,
                grants,
                names,
            })
        })
        .await
}

/// A patient's own page: their chart and who else touched it, and the charts they are the
/// guardian of.
pub struct PatientHome {
    /// `None` for an account with no chart of its own.
    pub own: Option<OwnChart>,
    pub dependents: Vec<Patient>,
}

pub struct OwnChart {
    pub chart: ChartView,
    pub accesses: Vec<Access>,
    /// Visits booked and still ahead, soonest first.
    pub visits: Vec<crate::appointments::web::VisitRow>,
}

/// The patient's own page, audited as a view of their chart (their own acts are not in their
/// access report, so it does not list itself), or as a dashboard view for an account with no
/// chart of its own.
pub async fn patient(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
) -> Result<PatientHome, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let dependents = PatientScope::OwnAndDependents {
                own: None,
                guardian: actor.user_id,
            };
            let search = ChartSearch::default();
            let dependents = patients::list(conn, dependents, &search, uc.now, None, ITEMS)?.items;
            let Some(own) = actor.patient_id else {
                uc.record(Event::success(&actor, AuditAction::DashboardView));
                return Ok(PatientHome {
                    own: None,
                    dependents,
                });
            };
            let chart = view::read(conn, &actor, own, uc.now, ITEMS, None)?;
            let accesses = audit_log::report_in(conn, &actor, own, uc.now, None, 100)?.items;
            let ahead: Vec<_> = medvault_store::repo::appointments::of_patient(conn, own)?
                .into_iter()
                .filter(|v| v.status == AppointmentStatus::Booked && v.slot.starts > uc.now)
                .collect();
            let names = VisitNames::read(conn, &ahead)?;
            let name = &chart.granted.chart.name;
            let visits = ahead
                .iter()
                .map(|v| names.row(v, name, uc.now, false))
                .collect();
            uc.record(view::viewed(&actor, &chart));
            Ok(PatientHome {
                own: Some(OwnChart {
                    chart,
                    accesses,
                    visits,
                }),
                dependents,
            })
        })
        .await
}

/// A trainee's or intern's list of the charts they may read, and when an intern's access ends.
pub struct StaffHome {
    pub charts: Vec<Patient>,
    pub shift_ends: Option<NaiveDateTime>,
}

/// The charts a trainee, intern or front desk may see; with `search`, those it finds among them.
pub async fn staff(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    search: Option<String>,
) -> Result<StaffHome, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let search = search.as_deref().map(crate::patients::typed_search);
            let charts = charts_found(conn, &actor, &search.unwrap_or_default(), uc.now)?;
            let shift_ends = if policy::access_is_by_grant(actor.role) {
                access::intern_session_end(conn, actor.user_id, uc.now)?
            } else {
                None
            };
            uc.record(Event::success(&actor, AuditAction::DashboardView));
            Ok(StaffHome { charts, shift_ends })
        })
        .await
}

/// What the administration page shows.
pub struct AdminHome {
    /// The users the search found, and whether there are more.
    pub found: Vec<User>,
    pub more_users: bool,
    /// Accounts waiting for approval, whatever the search.
    pub waiting: Vec<User>,
    /// Active staff to choose among in the forms.
    pub doctors: Vec<User>,
    pub trainees: Vec<User>,
    pub interns: Vec<User>,
    pub charts: Vec<Patient>,
    /// The charts the chart search found, and whether there are more.
    pub charts_found: Vec<Patient>,
    pub more_charts: bool,
    pub grants: Vec<InternGrant>,
    pub emergencies: Vec<EmergencyAccess>,
    pub names: Names,
}

/// The administration page's searches.
pub struct AdminSearch {
    pub users: UserFilter,
    pub chart_name: Option<String>,
    pub charts_shown: usize,
}

pub async fn admin(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    search: AdminSearch,
) -> Result<AdminHome, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            authorize_global(&actor, Action::ManageUsers, AuditAction::DashboardView)?;
            let found = users::list(conn, &search.users, None, ITEMS)?;
            let mut with = |status: UserStatus, role: Option<Role>| {
                let filter = UserFilter {
                    status: Some(status),
                    role,
                    text: None,
                };
                Ok::<_, AppError>(users::list(conn, &filter, None, ITEMS)?.items)
            };
            let waiting = with(UserStatus::Pending, None)?;
            let doctors = with(UserStatus::Active, Some(Role::Doctor))?;
            let trainees = with(UserStatus::Active, Some(Role::Trainee))?;
            let interns = with(UserStatus::Active, Some(Role::Intern))?;
            let charts = charts_of(conn, &actor, uc.now)?;
            let scope = policy::patient_scope(&actor);
            let shown = search.charts_shown;
            let (charts_found, more_charts) = match &search.chart_name {
                Some(name) => {
                    let search = crate::patients::typed_search(name);
                    let page = patients::list(conn, scope, &search, uc.now, None, shown)?;
                    let more = page.next.is_some();
                    (page.items, more)
                }
                None => (
                    charts.iter().take(shown).cloned().collect(),
                    charts.len() > shown,
                ),
            };
            let grants = access::grants_in(conn, &actor, AuditAction::DashboardView)?;
            let emergencies = access::emergencies_in(conn, &actor, AuditAction::DashboardView)?;
            let ids = grants
                .iter()
                .map(|g| (g.intern_id.to_string(), g.patient_id.to_string()))
                .chain(
                    emergencies
                        .iter()
                        .map(|e| (e.doctor_id.to_string(), e.patient_id.to_string())),
                )
                .map(|(user, chart)| (Some(user), Some(chart)));
            let names = names::of(conn, ids)?;
            uc.record(Event::success(&actor, AuditAction::DashboardView));
            Ok(AdminHome {
                more_users: found.next.is_some(),
                found: found.items,
                waiting,
                doctors,
                trainees,
                interns,
                charts,
                charts_found,
                more_charts,
                grants,
                emergencies,
                names,
            })
        })
        .await
}
