//! The schema is ready to be spread over several database servers: per-patient tables keyed by
//! patient, the trail by lane; on Citus they are distributed so, and small global tables copied
//! to every node.

use diesel::sql_types::Text;
use diesel::{QueryableByName, RunQueryDsl};

use crate::helpers::{TestApp, backend, on_postgres};

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Placement {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    placement: String,
}

async fn rows(app: &TestApp, sql: &'static str) -> Vec<Placement> {
    let mut found = app
        .state
        .read(move |conn| {
            Ok(diesel::sql_query(sql)
                .load::<Placement>(conn)
                .map_err(medvault_store::StoreError::from)?)
        })
        .await
        .expect("readable");
    found.sort();
    found
}

fn expected(pairs: &[(&str, &str)]) -> Vec<Placement> {
    let mut all: Vec<Placement> = pairs
        .iter()
        .map(|(table, placement)| Placement {
            table_name: (*table).to_owned(),
            placement: (*placement).to_owned(),
        })
        .collect();
    all.sort();
    all
}

#[tokio::test]
async fn per_patient_tables_lead_their_keys_with_the_patient() {
    if !on_postgres() {
        return;
    }
    let app = TestApp::spawn().await;
    let keys = rows(
        &app,
        "SELECT c.conrelid::regclass::text AS table_name, \
                (SELECT a.attname::text FROM pg_attribute a \
                 WHERE a.attrelid = c.conrelid AND a.attnum = c.conkey[1]) AS placement \
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
         WHERE c.contype = 'p' AND n.nspname = 'public' \
           AND c.conrelid::regclass::text IN ('patients', 'care_team', 'records', \
               'trainee_links', 'intern_grants', 'emergency_accesses', 'audit_log', \
               'lab_reports', 'lab_report_rows', 'critical_alerts', \
               'patient_registrations', 'coverages', 'appointments', 'appointment_claims')",
    )
    .await;
    assert_eq!(
        keys,
        expected(&[
            ("patients", "id"),
            ("care_team", "patient_id"),
            ("records", "patient_id"),
            ("trainee_links", "patient_id"),
            ("intern_grants", "patient_id"),
            ("emergency_accesses", "patient_id"),
            ("audit_log", "lane"),
            ("lab_reports", "patient_id"),
            ("lab_report_rows", "patient_id"),
            ("critical_alerts", "patient_id"),
            ("patient_registrations", "patient_id"),
            ("coverages", "patient_id"),
            ("appointments", "patient_id"),
            ("appointment_claims", "doctor_id"),
        ])
    );
}

#[tokio::test]
async fn on_citus_the_tables_are_distributed_by_patient_and_lane() {
    if backend() != "citus" {
        return;
    }
    let app = TestApp::spawn().await;
    let placed = rows(
        &app,
        "SELECT table_name::text AS table_name, \
                CASE WHEN citus_table_type = 'reference' THEN 'reference' \
                     ELSE distribution_column::text END AS placement \
         FROM citus_tables",
    )
    .await;
    assert_eq!(
        placed,
        expected(&[
            ("users", "reference"),
            ("sessions", "reference"),
            ("patients", "id"),
            ("care_team", "patient_id"),
            ("records", "patient_id"),
            ("trainee_links", "patient_id"),
            ("intern_grants", "patient_id"),
            ("emergency_accesses", "patient_id"),
            ("audit_chain", "id"),
            ("audit_log", "lane"),
            ("login_throttle", "key"),
            ("login_known_places", "key"),
            ("patient_mrns", "mrn"),
            ("record_versions", "patient_id"),
            ("allergies", "patient_id"),
            ("problems", "patient_id"),
            ("guardians", "patient_id"),
            ("prescriptions", "patient_id"),
            ("lab_results", "patient_id"),
            ("idempotency_keys", "user_id"),
            ("files", "patient_id"),
            ("lab_reports", "patient_id"),
            ("lab_report_rows", "patient_id"),
            ("critical_alerts", "patient_id"),
            ("institutions", "reference"),
            ("institution_staff", "reference"),
            ("availability", "reference"),
            ("patient_registrations", "patient_id"),
            ("coverages", "patient_id"),
            ("appointments", "patient_id"),
            // A doctor's schedule: what refuses a double booking is keyed by doctor.
            ("appointment_claims", "doctor_id"),
        ])
    );
    // The per-patient tables share their shards: a chart's rows are on one node.
    let colocated = rows(
        &app,
        "SELECT table_name::text AS table_name, colocation_id::text AS placement \
         FROM citus_tables WHERE table_name::text IN ('patients', 'records', 'care_team', \
                                                       'record_versions', 'allergies', 'problems', \
                                                       'guardians', 'prescriptions', 'lab_results', \
                                                       'files', 'lab_reports', 'lab_report_rows', \
                                                       'critical_alerts', 'patient_registrations', \
                                                       'coverages', 'appointments')",
    )
    .await;
    assert!(
        colocated
            .windows(2)
            .all(|pair| pair[0].placement == pair[1].placement),
        "{colocated:?}"
    );
}

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    value: String,
}

/// On Citus, the server's connections run a statement over many shards (the audit viewer by
/// patient, a doctor's charts) over the coordinator's one connection to each worker, and open
/// no more of their own.
#[tokio::test]
async fn on_citus_a_statement_over_many_shards_keeps_to_one_connection_a_worker() {
    if backend() != "citus" {
        return;
    }
    let app = TestApp::spawn().await;
    let setting = app
        .state
        .read(|conn| {
            Ok(diesel::sql_query(
                "SELECT current_setting('citus.max_adaptive_executor_pool_size') AS value",
            )
            .get_result::<Setting>(conn)
            .map_err(medvault_store::StoreError::from)?)
        })
        .await
        .expect("readable");
    assert_eq!(setting.value, "1");
}
