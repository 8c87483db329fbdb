#!/usr/bin/env bash
# Starts or stops a private, throw-away PostgreSQL cluster on a loopback port for the test suite.
#   scripts/ci/postgres.sh start   prints TEST_DATABASE_URL=postgres://... and PG_TEST_STARTED=0|1
#                                  (0: a cluster from an earlier start was still running and is reused)
#   scripts/ci/postgres.sh stop
# The cluster lives in $PG_TEST_DIR (default: a folder under /tmp) so a clean clone never touches a
# system database. initdb refuses to run as root, so as root the cluster belongs to the postgres user.
set -euo pipefail

PG_TEST_DIR=${PG_TEST_DIR:-/tmp/responsys-bridge-pg}
PG_TEST_PORT=${PG_TEST_PORT:-55432}

# The packaged bin dir holds the whole tool set (pg_ctl, initdb, createdb); PATH may only carry symlinks.
find_bindir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$dir/pg_ctl" ] && [ -x "$dir/createdb" ] && { echo "$dir"; return; }
  done
  if command -v pg_ctl >/dev/null 2>&1 && command -v createdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"; return
  fi
  return 1
}

as_owner() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local bindir
  if ! bindir=$(find_bindir); then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      echo "PostgreSQL server binaries not found; installing the postgresql package" >&2
      (apt-get install -y postgresql >&2 || (apt-get update >&2 && apt-get install -y postgresql >&2))
      bindir=$(find_bindir)
    else
      echo "PostgreSQL server binaries (initdb, pg_ctl) not found: install PostgreSQL or set TEST_DATABASE_URL" >&2
      exit 1
    fi
  fi
  if [ -f "$PG_TEST_DIR/data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$PG_TEST_DIR/data" status >/dev/null 2>&1; then
    echo "TEST_DATABASE_URL=postgres://bridge:bridge@127.0.0.1:$PG_TEST_PORT/bridge_test"
    echo "PG_TEST_STARTED=0"
    return
  fi
  rm -rf "$PG_TEST_DIR"
  mkdir -p "$PG_TEST_DIR"
  [ "$(id -u)" = "0" ] && chown postgres "$PG_TEST_DIR"
  echo bridge > "$PG_TEST_DIR/pwfile"
  as_owner "$bindir/initdb" -D "$PG_TEST_DIR/data" -U bridge --pwfile="$PG_TEST_DIR/pwfile" -A scram-sha-256 \
    --no-sync -E UTF8 >"$PG_TEST_DIR/initdb.log" 2>&1 || { cat "$PG_TEST_DIR/initdb.log" >&2; exit 1; }
  as_owner "$bindir/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w \
    -o "-p $PG_TEST_PORT -k $PG_TEST_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >&2
  PGPASSWORD=bridge "$bindir/createdb" -h 127.0.0.1 -p "$PG_TEST_PORT" -U bridge bridge_test
  echo "TEST_DATABASE_URL=postgres://bridge:bridge@127.0.0.1:$PG_TEST_PORT/bridge_test"
  echo "PG_TEST_STARTED=1"
}

stop() {
  local bindir
  bindir=$(find_bindir) || exit 0
  [ -d "$PG_TEST_DIR/data" ] && as_owner "$bindir/pg_ctl" -D "$PG_TEST_DIR/data" -m fast stop >&2 || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
