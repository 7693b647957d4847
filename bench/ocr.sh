#!/usr/bin/env bash
# Lab report reading under load: how many scanned pages a server reads per second, and what it
# does to the record list's latency while it reads.
#
#   bench/ocr.sh sqlite            # or postgres / citus, as bench/run.sh
#
# Generates scanned reports with crates/labgen (BENCH_REPORTS of each layout, 3 by default),
# measures the record list alone (wrk, BENCH_CONNECTIONS, BENCH_DURATION), then sends every scan
# to one chart and measures the record list again while the server reads them, and reports
# pages read per second from the reports' own times. MEDVAULT_LAB_WORKERS (1) readers.
# Needs wrk, curl, python3, tesseract-ocr and poppler-utils. Only 127.0.0.1 is ever targeted.
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
duration=${BENCH_DURATION:-15s}
connections=${BENCH_CONNECTIONS:-32}
port=${BENCH_PORT:-18191}
base="http://127.0.0.1:$port"
reports=${BENCH_REPORTS:-3}

# shellcheck source=bench/common.sh
source bench/common.sh
cargo build --release --quiet -p medvault-labgen
./target/release/medvault-labgen generate "$work/reports" --count "$reports" --seed 11 >/dev/null
start_server "$port"

one_chart "$base"

list() {
  echo "== record list ($1, $backend, $connections connections, $duration)"
  wrk --latency -t2 -c"$connections" -d"$duration" -H "authorization: Bearer $patient" \
    "$base/api/v1/patients/$patient_id/records?limit=20" | grep -E 'Requests/sec|50%|99%|Non-2xx|Socket errors'
}

list "alone"
ids=()
for scan in "$work"/reports/*.scan.pdf; do
  ids+=("$(curl -fs -H "authorization: Bearer $doctor" -F "file=@$scan;type=application/pdf" \
    "$base/api/v1/patients/$patient_id/lab-reports" | field "['id']")")
done
list "while ${#ids[@]} scanned reports are read"
# Wait for the reading to finish, then count pages over the time from the first send to the last
# reading.
for id in "${ids[@]}"; do
  for _ in $(seq 1 1200); do
    status=$(curl -fs -H "authorization: Bearer $doctor" "$base/api/v1/lab-reports/$id" | field "['status']")
    [ "$status" = queued ] || [ "$status" = reading ] || break
    sleep 0.5
  done
done
for id in "${ids[@]}"; do curl -fs -H "authorization: Bearer $doctor" "$base/api/v1/lab-reports/$id"; echo; done | python3 -c "
import sys, json, datetime
reports = [json.loads(line) for line in sys.stdin if line.strip()]
when = lambda s: datetime.datetime.fromisoformat(s.replace('Z', '+00:00'))
read = [r for r in reports if r['read_at']]
pages = sum(r['pages'] or 0 for r in read)
span = (max(when(r['read_at']) for r in read) - min(when(r['created_at']) for r in reports)).total_seconds()
rows = sum(1 for r in read)
print(f'== reading: {len(read)} of {len(reports)} reports read, {pages} pages in {span:.1f} s: {pages / span:.2f} pages/s')
"
