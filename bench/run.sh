#!/usr/bin/env bash
# Load scenarios against a release build on loopback: an authenticated record-list read, a record
# create and a login, each for a fixed time with a fixed number of connections.
#
#   bench/run.sh sqlite            # embedded SQLite in a temporary folder
#   bench/run.sh postgres          # a fresh database on $BENCH_PG_URL, dropped afterwards
#   bench/run.sh citus             # $BENCH_CITUS_URL, an empty distributed database
#
# BENCH_ONLY="record list" (or another scenario's name, or its start) runs that one alone.
# Needs wrk (Debian: apt-get install wrk), curl and python3. Only 127.0.0.1 is ever targeted.
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
duration=${BENCH_DURATION:-15s}
connections=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}
port=${BENCH_PORT:-18181}
base="http://127.0.0.1:$port"
users=${BENCH_USERS:-64}

# shellcheck source=bench/common.sh
source bench/common.sh
start_server "$port"

one_chart "$base"

# Accounts for the login scenario, each signing in from an address of its own.
for n in $(seq 0 $((users - 1))); do
  json "$base/api/v1/users" -H "authorization: Bearer $admin" \
    -d "{\"email\":\"user$n@bench.test\",\"password\":\"$password\",\"name\":\"User $n\",\"role\":\"patient\"}" >/dev/null
done

only=${BENCH_ONLY:-}
run() {
  local name=$1; shift
  if [ -n "$only" ] && [[ "$name" != "$only"* ]]; then return; fi
  echo "== $name ($backend, $connections connections, $duration)"
  wrk --latency -t"$threads" -c"$connections" -d"$duration" "$@" | grep -E 'Requests/sec|Latency|50%|90%|99%|Non-2xx|Socket errors'
}

run "record list (GET, 20 per page)" -H "authorization: Bearer $patient" \
  "$base/api/v1/patients/$patient_id/records?limit=20"
run "record create (POST)" -s bench/create-record.lua \
  -H "authorization: Bearer $doctor" "$base/api/v1/patients/$patient_id/records"
BENCH_USERS=$users run "login (POST, Argon2id, $users users)" -s bench/login.lua "$base/api/v1/auth/login"
