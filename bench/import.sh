#!/usr/bin/env bash
# A CSV file of 100,000 patients (names, birth dates, sexes, emails, phones) imported at one
# institution from the command line, then the same file again, which changes nothing.
#
#   bench/import.sh sqlite | postgres | citus     (as bench/run.sh)
#
# BENCH_ROWS (100000) sets the file's size. Needs curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
rows=${BENCH_ROWS:-100000}
port=${BENCH_PORT:-18199}
base="http://127.0.0.1:$port"

# shellcheck source=bench/common.sh
source bench/common.sh
start_server "$port"

admin=$(json "$base/api/v1/auth/login" -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | field "['access_token']")
institution=$(json "$base/api/v1/institutions" -H "authorization: Bearer $admin" \
  -d '{"name":"Bench General","kind":"hospital","time_zone":"UTC"}' | field "['id']")
python3 - "$work/patients.csv" "$rows" <<'PY'
import sys
path, rows = sys.argv[1], int(sys.argv[2])
sexes = ["female", "male", "other"]
with open(path, "w") as f:
    f.write("name,birth_date,sex,email,phone\n")
    for n in range(rows):
        f.write(f"Patient {n},19{40 + n % 60:02d}-0{1 + n % 9}-1{n % 10},{sexes[n % 3]},"
                f"patient{n}@import.example,+351 21 {n:06d}\n")
PY
for run in first second; do
  /usr/bin/time -f "$run import: %e s, peak RSS %M KB" ./target/release/medvault import patients \
    "$work/patients.csv" --institution "$institution" --by "$ADMIN_EMAIL" 2>&1 | tail -2
done
