#!/usr/bin/env bash
# Load scenarios at a hospital's scale, against a release build on loopback. The database is
# filled by `medvault seed --scale` (200 doctors, 10,000 patients, 1,000,000 records,
# 1,000,000 lab results and 5,000,000 audit entries unless told otherwise), then each scenario
# runs for a fixed time:
#
#   record list     audited API reads spread over every doctor and their charts
#   chart page      the chart's web page, signed in with a cookie, over many charts (with its
#                   lists, medications, files and a plotted trend per lab test)
#   lab trend       one test's trend as SVG, over many charts
#   record create   at 32 and at 256 connections
#   login storm     Argon2id sign-ins of many doctors, each from an address of its own
#   list + logins   the record list again while 32 connections sign in
#   audit viewer    an admin's trail filtered by patient
#   two servers     the record list through two servers on one database at once (not SQLite)
#
# After each, how busy the machine was and its CPU time per request, the server's peak resident
# memory in that scenario (VmHWM, reset in between), and how many requests' audit entries or
# units of work each of its group commits held.
#
#   bench/scale.sh sqlite              # embedded SQLite in a temporary folder
#   bench/scale.sh postgres            # a fresh database on $BENCH_PG_URL, dropped afterwards
#   bench/scale.sh citus               # $BENCH_CITUS_URL: an empty database on a Citus
#                                      # coordinator, its extension created and workers added
#
# BENCH_AGAINST=FILE runs the reads (and the record list during sign-ins) through this build and
# the medvault binary FILE by turns (see below). BENCH_DOCTORS, BENCH_PATIENTS, BENCH_RECORDS,
# BENCH_LABS, BENCH_AUDIT size the data; BENCH_KEEP=NAME keeps it for the next run with the same
# NAME, which starts from what this one left. BENCH_DURATION (15s) and BENCH_CONNECTIONS (32) shape
# each run; BENCH_ONLY="chart" runs the scenarios whose name starts so, BENCH_ONLY="record
# list,chart" those starting with either. Needs wrk, curl and python3. Only 127.0.0.1 is ever
# targeted.
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
duration=${BENCH_DURATION:-15s}
connections=${BENCH_CONNECTIONS:-32}
port=${BENCH_PORT:-18191}
base="http://127.0.0.1:$port"
doctors=${BENCH_DOCTORS:-200}
only=${BENCH_ONLY:-}

# shellcheck source=bench/common.sh
source bench/common.sh

echo "== seeding ($backend)"
if /usr/bin/time -f "seeded in %e s, peak RSS %M KB" ./target/release/medvault seed --scale \
  --doctors "$doctors" --patients "${BENCH_PATIENTS:-10000}" \
  --records "${BENCH_RECORDS:-1000000}" --lab-results "${BENCH_LABS:-1000000}" \
  --audit-entries "${BENCH_AUDIT:-5000000}" 2>"$work/seed.err" | tail -n 1; then
  tail -n 1 "$work/seed.err"
elif [ -n "$keep" ] && grep -q 'holds scale data already' "$work/seed.err"; then
  # With BENCH_KEEP, a database filled by an earlier run is used as that run left it.
  echo "kept from an earlier run"
else
  cat "$work/seed.err" >&2
  exit 1
fi

start_server "$port"

address() { echo "10.1.$(($1 / 250)).$(($1 % 250 + 1))"; }
password=scale-seed-passphrase

# Every doctor's token with each chart on their care team, and for a quarter of them a web
# session cookie too.
echo "== signing in $doctors doctors"
: >"$work/api" >"$work/web"
for n in $(seq 0 $((doctors - 1))); do
  email="doctor$n@scale.medvault.test"
  token=$(json -H "x-forwarded-for: $(address "$n")" "$base/api/v1/auth/login" \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" | field "['access_token']")
  charts=$(curl -fs -H "authorization: Bearer $token" "$base/api/v1/patients?limit=200" \
    | python3 -c "import sys, json; [print(p['id']) for p in json.load(sys.stdin)['items']]")
  for chart in $charts; do printf 'Bearer %s\t%s\n' "$token" "$chart" >>"$work/api"; done
  if [ $((n % 4)) -eq 0 ]; then
    jar="$work/jar"
    csrf=$(curl -fs -c "$jar" "$base/login" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | cut -d'"' -f4)
    curl -fs -b "$jar" -c "$jar" -o /dev/null -H "x-forwarded-for: $(address "$n")" \
      --data-urlencode "csrf=$csrf" --data-urlencode "email=$email" \
      --data-urlencode "password=$password" "$base/login"
    cookie=$(awk '$6 == "mv_session" { print $7 }' "$jar")
    for chart in $charts; do printf 'mv_session=%s\t%s\n' "$cookie" "$chart" >>"$work/web"; done
    rm -f "$jar"
  fi
done
admin=$(json "$base/api/v1/auth/login" -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | field "['access_token']")
awk -F'\t' -v admin="Bearer $admin" '{ print admin "\t" $2 }' "$work/api" | sort -u -t$'\t' -k2,2 >"$work/admin"
echo "$(wc -l <"$work/api") doctor-chart pairs, $(wc -l <"$work/web") with a web session"
# A target that answers otherwise than 200 would make the figures meaningless (wrk counts a
# redirect to the sign-in page as a success).
check() {
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "$1: $(head -n 1 "$work/$2" | cut -f1)" "$base$3")
  [ "$status" = 200 ] || { echo "$3 answers $status with the prepared $1" >&2; exit 1; }
}
check authorization api "/api/v1/patients/$(head -n 1 "$work/api" | cut -f2)/records"
check cookie web "/patients/$(head -n 1 "$work/web" | cut -f2)"

# Target files with each line's path filled in.
targets() { awk -F'\t' -v fmt="$2" '{ printf "%s\t" fmt "\n", $1, $2 }' "$work/$1" >"$work/$3"; }
targets api "/api/v1/patients/%s/records?limit=20" list
targets web "/patients/%s" chart
targets api "/api/v1/patients/%s/records" create
targets admin "/api/v1/audit?patient_id=%s&limit=50" audit
targets api "/api/v1/patients/%s/lab-results/trend?code=4548-4" trend

# Whether the scenario named $1 runs: all do, or those whose name starts with one of BENCH_ONLY's
# comma-separated beginnings.
wanted() {
  [ -z "$only" ] && return 0
  local start
  IFS=, read -ra starts <<<"$only"
  for start in "${starts[@]}"; do [[ "$1" == "$start"* ]] && return 0; done
  return 1
}
report() { grep -E 'requests in|Requests/sec|Latency |50%|99%|Non-2xx|Socket errors' || true; }
spread() {
  local file=$1 conns=$2 url=$3; shift 3
  env BENCH_TARGETS="$work/$file" "$@" wrk --latency -t2 -c"$conns" -d"$duration" -s bench/spread.lua "$url"
}
scenario() {
  local name=$1; shift
  wanted "$name" || return 0
  echo "== $name ($backend, $duration)"
  peak_reset
  local before out
  before=$(cpu_ticks)
  out=$("$@")
  echo "$out"
  cpu_report "$before" "$(cpu_ticks)" "$out"
  peak
}

body='{"title":"Load test note","notes":"Blood pressure 120/80. No complaints. Review in a year."}'
list() { spread list "$connections" "$base" | report; }
chart() { spread chart "$connections" "$base" BENCH_HEADER=cookie | report; }
create() { spread create "$1" "$base" BENCH_METHOD=POST BENCH_BODY="$body" | report; }
audit() { spread audit "$connections" "$base" | report; }
trend() { spread trend "$connections" "$base" | report; }
logins() {
  env BENCH_USERS="$doctors" BENCH_EMAILS="doctor%d@scale.medvault.test" BENCH_PASSWORD="$password" \
    wrk --latency -t1 -c32 -d"$duration" -s bench/login.lua "$base/api/v1/auth/login" | report
}
list_with_logins() {
  logins >"$work/logins.out" &
  local storm=$!
  sleep 1
  list
  wait "$storm"
  echo "    (the sign-ins meanwhile)"
  cat "$work/logins.out"
}
two_servers() {
  spread list $((connections / 2)) "$base" | report >"$work/first.out" &
  local first=$!
  spread list $((connections / 2)) "http://127.0.0.1:$((port + 1))" | report
  wait "$first"
  echo "    (the first server meanwhile)"
  cat "$work/first.out"
}

# BENCH_AGAINST=FILE compares this build with another (FILE, a medvault binary) on the same data
# and sign-ins: two servers take turns, BENCH_ROUNDS (5) runs of BENCH_DURATION each per
# scenario, so that the machine's drift from one minute to the next falls on both alike.
if [ -n "${BENCH_AGAINST:-}" ]; then
  start_server $((port + 2)) "$BENCH_AGAINST"
  this=$base
  other="http://127.0.0.1:$((port + 2))"
  rate() { awk '/Requests\/sec/ { rate = $2 } / 99%/ { p99 = $2 } /Non-2xx|Socket errors/ { bad = " (" $0 ")" }
    END { printf "%s/s, p99 %s%s", rate, p99, bad }'; }
  turns() {
    local name=$1 ours theirs
    wanted "$name" || return 0
    echo "== $name ($backend, $duration a run): this build | $BENCH_AGAINST"
    for round in $(seq 1 "${BENCH_ROUNDS:-5}"); do
      # Which goes first changes every round, so that going first or second favours neither.
      if [ $((round % 2)) -eq 1 ]; then
        ours=$(base=$this "$2" | rate)
        theirs=$(base=$other "$2" | rate)
      else
        theirs=$(base=$other "$2" | rate)
        ours=$(base=$this "$2" | rate)
      fi
      echo "    $ours | $theirs"
    done
  }
  # The record list while 32 connections sign in, the list's own figures: against the record
  # list's above, how much sign-ins slow reads down on each build.
  list_during_logins() { list_with_logins | sed '/sign-ins meanwhile/,$d'; }
  turns "record list" list
  turns "list + logins" list_during_logins
  turns "chart page" chart
  turns "lab trend" trend
  turns "audit viewer" audit
  exit 0
fi

scenario "record list, many charts, $connections connections" list
scenario "chart page (HTML), $connections connections" chart
scenario "lab trend (SVG), $connections connections" trend
scenario "record create, $connections connections" create "$connections"
scenario "record create, 256 connections" create 256
scenario "login storm, 32 connections" logins
scenario "list + logins, $connections + 32 connections" list_with_logins
scenario "audit viewer by patient, $connections connections" audit
if [ "$backend" != sqlite ] && wanted "two servers"; then
  start_server $((port + 1))
  scenario "two servers, $((connections / 2)) connections each" two_servers
fi
