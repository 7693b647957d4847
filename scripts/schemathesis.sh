#!/usr/bin/env bash
# Drives the API with schemathesis (every check, examples, coverage, fuzzing and stateful
# phases) as anonymous and as each role of the demo data, against a fresh server on loopback.
#
#   pip install schemathesis
#   scripts/schemathesis.sh                                  # embedded SQLite
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/fuzz scripts/schemathesis.sh
#
# The PostgreSQL database must exist and be empty. Exits non-zero if any run finds a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

port=${PORT:-18099}
base="http://127.0.0.1:$port"
work=$(mktemp -d)
server=
trap '[ -z "$server" ] || kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

cargo build --quiet
export MEDVAULT_DATA_DIR="$work/data" MEDVAULT_LISTEN="127.0.0.1:$port" RUST_LOG=warn
# A throwaway secret for this run (PostgreSQL needs one set; SQLite would make its own).
MEDVAULT_SECRET=${MEDVAULT_SECRET:-$(head -c 48 /dev/urandom | base64)}
MEDVAULT_FILE_KEYS=${MEDVAULT_FILE_KEYS:-run-1:$(head -c 32 /dev/urandom | base64)}
export MEDVAULT_SECRET MEDVAULT_FILE_KEYS
./target/debug/medvault seed --demo >/dev/null
./target/debug/medvault serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.2; done

token() {
  curl -fs -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1@demo.medvault.test\",\"password\":\"$2\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

# Every token first, and the admin last: the admin's run deactivates accounts and resets
# passwords, which would end the others' sessions.
declare -A bearer
bearer[dr.okafor]=$(token dr.okafor demo-doctor-passphrase)
bearer[sofia]=$(token sofia demo-patient-passphrase)
bearer[trainee]=$(token trainee demo-trainee-passphrase)
bearer[intern]=$(token intern demo-intern-passphrase)
bearer[admin]=$(token admin demo-admin-passphrase)

out=${OUT:-target/schemathesis}
mkdir -p "$out"
failed=0
for who in anonymous dr.okafor sofia trainee intern admin; do
  auth=()
  [ "$who" = anonymous ] || auth=(-H "Authorization: Bearer ${bearer[$who]}")
  # Signing out or changing the password would end the run's own session.
  if st run "$base/api/openapi.json" --url "$base" "${auth[@]}" --checks all \
    --max-examples "${MAX_EXAMPLES:-30}" \
    --exclude-path /api/v1/auth/logout --exclude-path /api/v1/auth/password \
    >"$out/$who.txt" 2>&1; then
    echo "as $who: $(tail -n 1 "$out/$who.txt")"
  else
    echo "as $who: FAILED, see $out/$who.txt: $(tail -n 1 "$out/$who.txt")"
    failed=1
  fi
done
exit $failed
