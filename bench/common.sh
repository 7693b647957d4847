# What the bench runners share: the release build, a scratch folder, a database for `$backend`
# (sqlite, postgres or citus), servers started on loopback, and clean-up of all of it on exit.
# Sourced by bench/run.sh and bench/scale.sh, from the project's root.

pg_admin=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}

# BENCH_BUILD=no runs the release binary as it is, such as an earlier build copied there to compare.
[ "${BENCH_BUILD:-yes}" = no ] || cargo build --release --quiet --bin medvault
work=$(mktemp -d)
servers=()
ports=()
pg_db=""
# BENCH_KEEP=NAME keeps the database between runs (target/bench-NAME.db on SQLite, the database
# medvault_bench_NAME on PostgreSQL), so that a runner that fills it can skip filling it again.
keep=${BENCH_KEEP:-}
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  if [ -n "$pg_db" ] && [ -z "$keep" ]; then
    psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

export MEDVAULT_DATA_DIR="$work" MEDVAULT_LOG=warn
export MEDVAULT_SECRET=bench-secret-bench-secret-bench-secret-0
# Files are sealed under these keys; every server on one database shares them.
export MEDVAULT_FILE_KEYS=bench-1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
export ADMIN_EMAIL=admin@bench.test ADMIN_PASSWORD=bench-admin-passphrase
# Sign-ins name their client addresses in X-Forwarded-For, as a proxy would.
export MEDVAULT_TRUSTED_PROXIES=127.0.0.1
case "$backend" in
  sqlite)
    if [ -n "$keep" ]; then export DATABASE_URL="$PWD/target/bench-$keep.db"; else export DATABASE_URL="$work/medvault.db"; fi
    ;;
  postgres)
    pg_db="medvault_bench_${keep:-$$}"
    if [ -z "$(psql "$pg_admin" -Atc "SELECT 1 FROM pg_database WHERE datname = '$pg_db'")" ]; then
      psql "$pg_admin" -qc "CREATE DATABASE $pg_db" >/dev/null
    fi
    export DATABASE_URL="${pg_admin%/*}/$pg_db"
    ;;
  citus)
    : "${BENCH_CITUS_URL:?an empty distributed database on a Citus coordinator}"
    export DATABASE_URL="$BENCH_CITUS_URL"
    ;;
  *) echo "usage: $0 sqlite|postgres|citus" >&2; exit 2 ;;
esac

# Starts a server on 127.0.0.1:$1 (the release build, or the binary $2) and waits until it is ready.
start_server() {
  MEDVAULT_LISTEN="127.0.0.1:$1" "${2:-./target/release/medvault}" serve >>"$work/server.log" 2>&1 &
  servers+=($!)
  ports+=("$1")
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$1/readyz" >/dev/null && return; sleep 0.1; done
  echo "the server on port $1 did not start" >&2
  exit 1
}

# The servers' peak resident memory (VmHWM), and their hashing processes' (`medvault
# hash-worker`, once a sign-in has started one), and their audit group commits (how many, and how
# many requests' units each one shared), all counted from `peak_reset` to `peak`.
hashing_process_of() { pgrep -P "$1" -f hash-worker || true; }
peak_mb() { echo $(($(awk '/VmHWM/ { print $2 }' "/proc/$1/status") / 1024)); }
peak_reset() {
  groups_before=()
  for i in "${!servers[@]}"; do
    for pid in ${servers[$i]} $(hashing_process_of "${servers[$i]}"); do echo 5 >"/proc/$pid/clear_refs"; done
    groups_before+=("$(audit_groups "${ports[$i]}")")
  done
}
peak() {
  for i in "${!servers[@]}"; do
    local pid=${servers[$i]} groups units before_groups before_units
    echo "    peak RSS of server $pid: $(peak_mb "$pid") MB"
    for hasher in $(hashing_process_of "$pid"); do echo "    peak RSS of its hashing process: $(peak_mb "$hasher") MB"; done
    read -r groups units before_groups before_units <<<"$(audit_groups "${ports[$i]}") ${groups_before[$i]}"
    groups=$((groups - before_groups)) units=$((units - before_units))
    [ "$groups" -gt 0 ] && echo "    audit group commits of server $pid: $groups, $(awk -v u="$units" -v g="$groups" 'BEGIN { printf "%.1f", u / g }') units each"
  done
  return 0
}
# The machine's busy and total CPU time so far, in clock ticks over all its cores.
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
# How busy the machine was between two `cpu_ticks` readings ($1, $2), and its CPU time per
# request for the requests wrk counted in $3 (its "N requests in" lines): a figure that moves
# less than requests per second when the machine's speed does.
cpu_report() {
  local busy0 total0 busy1 total1 requests
  read -r busy0 total0 <<<"$1"
  read -r busy1 total1 <<<"$2"
  requests=$(awk '/requests in/ { n += $1 } END { print n + 0 }' <<<"$3")
  awk -v b=$((busy1 - busy0)) -v t=$((total1 - total0)) -v r="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    printf "    machine busy %.0f %%, %.0f µs of CPU per request (server, database and wrk)\n",
      100 * b / t, r ? b * 1e6 / hz / r : 0 }'
}
# The committed audit groups and units a server has counted since it started.
audit_groups() {
  curl -fs "http://127.0.0.1:$1/metrics" | awk '
    /^medvault_audit_groups_total\{outcome="committed"\}/ { groups = $2 }
    /^medvault_audit_group_units_total / { units = $2 }
    END { printf "%d %d\n", groups, units }'
}

json() { curl -fs -H 'content-type: application/json' "$@"; }
field() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }

# A chart for the quick scenarios on the server at $1: an admin's token ($admin), a doctor
# ($doctor_id, signed in as $doctor) on the care team of a patient ($patient_id, signed in as
# $patient) whose chart holds 100 records. Sign-ins use $password.
one_chart() {
  local base=$1
  password=bench-user-passphrase
  admin=$(json "$base/api/v1/auth/login" -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | field "['access_token']")
  doctor_id=$(json "$base/api/v1/users" -H "authorization: Bearer $admin" \
    -d "{\"email\":\"doctor@bench.test\",\"password\":\"$password\",\"name\":\"Dr Bench\",\"role\":\"doctor\"}" | field "['id']")
  json "$base/api/v1/auth/register" -d "{\"email\":\"patient@bench.test\",\"password\":\"$password\",\"name\":\"Pat Bench\",\"role\":\"patient\"}" >/dev/null
  patient=$(json "$base/api/v1/auth/login" -d "{\"email\":\"patient@bench.test\",\"password\":\"$password\"}" | field "['access_token']")
  patient_id=$(json "$base/api/v1/auth/me" -H "authorization: Bearer $patient" | field "['patient_id']")
  json "$base/api/v1/patients/$patient_id/care-team" -H "authorization: Bearer $patient" -d "{\"doctor_id\":\"$doctor_id\"}" >/dev/null
  doctor=$(json "$base/api/v1/auth/login" -d "{\"email\":\"doctor@bench.test\",\"password\":\"$password\"}" | field "['access_token']")
  for n in $(seq 1 100); do
    json "$base/api/v1/patients/$patient_id/records" -H "authorization: Bearer $doctor" \
      -d "{\"title\":\"Visit $n\",\"notes\":\"Routine follow-up, observations within normal limits.\"}" >/dev/null
  done
}
