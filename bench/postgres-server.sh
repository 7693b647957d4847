#!/usr/bin/env bash
# A PostgreSQL server of the bench's own, sized as docs/operations.md advises for a hospital's
# data rather than with PostgreSQL's defaults (128 MB of shared buffers, a checkpoint every
# gigabyte of WAL): shared buffers a sixth of the machine's memory, checkpoints every 15 minutes
# or 8 GB of WAL. Durability is as shipped: fsync, synchronous_commit and full_page_writes on.
#
#   bench/postgres-server.sh start    # prints its URL, for BENCH_PG_URL
#   bench/postgres-server.sh stop
#
# BENCH_PG_DIR (target/bench-pg) holds its data, BENCH_PG_PORT (5440) is its port, on
# 127.0.0.1 only. BENCH_PG_HUGE_PAGES=1 first reserves the huge pages its shared buffers need
# (as root; docs/operations.md says why), which PostgreSQL then uses by default. Needs
# PostgreSQL's server binaries (Debian: postgresql-15).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
data=$(realpath -m "${BENCH_PG_DIR:-target/bench-pg}")
port=${BENCH_PG_PORT:-5440}

# PostgreSQL refuses to run as root; as root, the server runs as the postgres account.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    if [ ! -f "$data/PG_VERSION" ]; then
      mkdir -p "$data"
      [ "$(id -u)" -eq 0 ] && chown postgres: "$data"
      as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
      memory_kb=$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)
      cat >>"$data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$data'
shared_buffers = $((memory_kb / 6 / 1024))MB
effective_cache_size = $((memory_kb / 2 / 1024))MB
max_wal_size = 8GB
checkpoint_timeout = 15min
max_connections = 200
EOF
    fi
    if ! as_owner "$bin/pg_ctl" -D "$data" status >/dev/null; then
      if [ -n "${BENCH_PG_HUGE_PAGES:-}" ]; then
        needed=$(as_owner "$bin/postgres" -D "$data" -C shared_memory_size_in_huge_pages)
        if [ "$(cat /proc/sys/vm/nr_hugepages)" -lt "$needed" ]; then
          sysctl -qw vm.nr_hugepages="$needed"
          echo "reserved $needed huge pages (vm.nr_hugepages) for the bench server" >&2
        fi
      fi
      as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w start >/dev/null
    fi
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
