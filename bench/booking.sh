#!/usr/bin/env bash
# Appointments at a hospital's size: 200 doctors at one institution, each with hours every day
# from 08:00 to 20:00 in 15-minute slots (a year holds 3.5 million of them), and 1,000 patients.
# Measures slot search (a week, and 62 days, of one random doctor's free slots) and booking
# (each request a new slot, as an admin books for a random patient), then the same searches with
# the schedule filled by the bookings.
#
#   bench/booking.sh sqlite | postgres | citus     (as bench/run.sh)
#
# BENCH_DOCTORS (200), BENCH_DURATION (15s), BENCH_CONNECTIONS (32). Needs wrk, curl and
# python3. Only 127.0.0.1 is ever targeted.
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
duration=${BENCH_DURATION:-15s}
connections=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}
port=${BENCH_PORT:-18191}
base="http://127.0.0.1:$port"
doctors=${BENCH_DOCTORS:-200}

# shellcheck source=bench/common.sh
source bench/common.sh
start_server "$port"

admin=$(json "$base/api/v1/auth/login" -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | field "['access_token']")
auth=(-H "authorization: Bearer $admin")
institution=$(json "$base/api/v1/institutions" "${auth[@]}" \
  -d '{"name":"Bench General","kind":"hospital","time_zone":"UTC"}' | field "['id']")

# Doctors, from a file: accounts made with no password, given their places at once.
{ echo "email,name,account_role,role"
  for n in $(seq 1 "$doctors"); do echo "doctor$n@bench.test,Dr Bench $n,doctor,clinician"; done
} > "$work/staff.csv"
curl -fs -H "authorization: Bearer $admin" -H 'content-type: text/csv' --data-binary @"$work/staff.csv" \
  "$base/api/v1/institutions/$institution/imports/staff" >/dev/null
json "$base/api/v1/institutions/$institution/staff" "${auth[@]}" \
  | python3 -c "import sys, json; print('\n'.join(m['user_id'] for m in json.load(sys.stdin) if m['role'] == 'clinician'))" \
  > "$work/doctors"
week='{"weekday":"%s","starts":"08:00","ends":"20:00"}'
hours=$(for day in monday tuesday wednesday thursday friday saturday sunday; do printf "$week," "$day"; done)
while read -r doctor; do
  curl -fs -X PUT "${auth[@]}" -H 'content-type: application/json' \
    -d "{\"institution_id\":\"$institution\",\"slot_minutes\":15,\"hours\":[${hours%,}]}" \
    "$base/api/v1/doctors/$doctor/availability" >/dev/null
done < "$work/doctors"

# Patients, from a file too, then their ids.
{ echo "name,email"; for n in $(seq 1 1000); do echo "Patient $n,patient$n@bench.test"; done; } > "$work/patients.csv"
curl -fs "${auth[@]}" -H 'content-type: text/csv' --data-binary @"$work/patients.csv" \
  "$base/api/v1/institutions/$institution/imports/patients" >/dev/null
python3 - "$base" "$admin" "$institution" > "$work/patients" <<'PY'
import json, sys, urllib.request
base, token, place = sys.argv[1:4]
cursor = ""
while True:
    request = urllib.request.Request(f"{base}/api/v1/institutions/{place}/patients?limit=200{cursor}",
                                     headers={"authorization": f"Bearer {token}"})
    page = json.load(urllib.request.urlopen(request))
    for chart in page["items"]:
        print(chart["id"])
    if not page.get("next"):
        break
    cursor = "&cursor=" + page["next"]
PY

tomorrow=$(date -u -d 'tomorrow 00:00' +%s)
from=$(date -u -d "@$tomorrow" +%Y-%m-%d)
week_to=$(date -u -d "@$((tomorrow + 7 * 86400))" +%Y-%m-%d)
months_to=$(date -u -d "@$((tomorrow + 62 * 86400))" +%Y-%m-%d)
searches() {
  local to=$1
  while read -r doctor; do
    printf 'Bearer %s\t/api/v1/doctors/%s/slots?from=%s&to=%s&institution_id=%s\n' \
      "$admin" "$doctor" "$from" "$to" "$institution"
  done < "$work/doctors"
}
searches "$week_to" > "$work/week"
searches "$months_to" > "$work/months"

run() {
  local name=$1; shift
  echo "== $name ($backend, $connections connections, $duration)"
  peak_reset
  wrk --latency -t"$threads" -c"$connections" -d"$duration" "$@" | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx|Socket errors'
  peak
}
BENCH_TARGETS="$work/week" run "slot search, one doctor's week" -s bench/spread.lua "$base"
BENCH_TARGETS="$work/months" run "slot search, one doctor's 62 days" -s bench/spread.lua "$base"
BENCH_DOCTORS="$work/doctors" BENCH_PATIENTS="$work/patients" BENCH_INSTITUTION=$institution \
  BENCH_FIRST_DAY=$tomorrow BENCH_TOKEN=$admin BENCH_THREADS=$threads \
  run "booking, a new slot each" -s bench/book.lua "$base/api/v1/appointments"
BENCH_TARGETS="$work/week" run "slot search, one doctor's week, with bookings" -s bench/spread.lua "$base"
