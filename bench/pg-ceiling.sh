#!/usr/bin/env bash
# The database's own ceiling for two scenarios: pgbench sends a record list's and a chart page's
# reads (bench/ceiling/*.sql, the statements as the server sends them) as fast as PostgreSQL
# answers them, through as many connections as the server's pool holds, on the same machine.
# No HTTP, no rendering, no audit entry: what is left for MedVault's own work is the difference.
#
#   BENCH_KEEP=pf bench/scale.sh postgres       # fills medvault_bench_pf and keeps it
#   bench/pg-ceiling.sh postgres://postgres@127.0.0.1:5432/medvault_bench_pf
#
# BENCH_DURATION (15 s) and BENCH_CONNECTIONS (8) adjust the runs. It adds a table of each chart
# with a doctor on its care team, to pick from at random, and drops it after.
set -euo pipefail
cd "$(dirname "$0")/.."
url=${1:?usage: $0 URL of a database filled by bench/scale.sh}

psql "$url" -q <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_pick;
CREATE TABLE bench_pick AS
    SELECT row_number() OVER (ORDER BY patient_id) AS n, patient_id AS p, doctor_id AS d
    FROM (SELECT DISTINCT ON (patient_id) patient_id, doctor_id FROM care_team
          ORDER BY patient_id, created_at) AS first_doctor;
ALTER TABLE bench_pick ADD PRIMARY KEY (n);
SQL
trap 'psql "$url" -qc "DROP TABLE IF EXISTS bench_pick"' EXIT
psql "$url" -qc "VACUUM ANALYZE bench_pick"
charts=$(psql "$url" -Atc "SELECT count(*) FROM bench_pick")

for scenario in record-list chart; do
  echo "== $scenario: its reads alone (pgbench, ${BENCH_CONNECTIONS:-8} connections)"
  pgbench -n -M prepared -c "${BENCH_CONNECTIONS:-8}" -j 2 -T "${BENCH_DURATION:-15}" \
    -D charts="$charts" -D before='~' -D now="$(date -u '+%Y-%m-%d %H:%M')" \
    -D final=final -D admin=admin -D reception=reception -f "bench/ceiling/$scenario.sql" "$url" | grep -E '^(tps|latency average)'
done
