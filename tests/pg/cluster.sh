#!/usr/bin/env bash
# A throwaway PostgreSQL 15 + PostGIS 3 cluster for the tests of the PostgreSQL engine.
#
#   tests/pg/cluster.sh start DIR           initdb (first time), pg_ctl start, the template
#   tests/pg/cluster.sh stop DIR            pg_ctl stop and remove DIR
#   tests/pg/cluster.sh create DIR DB [TPL] a new database DB from TPL (default the
#                                           template); prints its URL
#   tests/pg/cluster.sh drop DIR DB         drop database DB (connections are ended)
#   tests/pg/cluster.sh url DIR DB          print the URL of database DB
#   tests/pg/cluster.sh restart DIR         pg_ctl restart -m fast (every connection ends)
#   tests/pg/cluster.sh down|up DIR         pg_ctl stop -m fast / pg_ctl start, keeping DIR
#                                           (tests of an outage; see tests/pg/restart.test.mjs)
#
# The cluster keeps its data in DIR/data and listens only on a Unix socket in DIR (no TCP),
# with trust authentication for its one role, `meldpunt` (a superuser): nothing outside DIR
# can reach it but local processes that may enter DIR. It runs as an unprivileged user: as
# the caller, or, when the caller is root (CI), as the system user `meldpunt-test`, created
# here when missing (PostgreSQL refuses to run as root). DIR and its parents must be
# traversable by that user.
#
# `start` creates the database `meldpunt_template` with the PostGIS extension once; tests
# make each database they need with CREATE DATABASE ... TEMPLATE meldpunt_template (see
# tests/unit/fixture.c, tests/integration/harness.c, tests/api/lib.mjs), which is much
# cheaper than creating the extension each time. Settings trade durability for speed
# (fsync off): the data is thrown away after the run.
#
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin).
set -euo pipefail

usage() {
  echo "usage: $0 start|stop|restart|down|up DIR | create DIR DATABASE [TEMPLATE] | drop|url DIR DATABASE" >&2
  exit 2
}
[ $# -ge 2 ] || usage
cmd=$1
dir=$2
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
role=meldpunt
template=meldpunt_template

url() { # DATABASE
  printf 'postgresql://%s@/%s?host=%s\n' "$role" "$1" "$dir"
}

# Database names are made by the tests; anything else is refused rather than quoted.
name_ok() {
  [[ $1 =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || { echo "cluster.sh: bad database name '$1'" >&2; exit 2; }
}
psql_admin() { # SQL: run on the maintenance database as the cluster's superuser
  "$bin/psql" --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --host="$dir" --username="$role" \
    --dbname=postgres --command="$1"
}

case "$cmd" in
url)
  [ $# -eq 3 ] || usage
  url "$3"
  exit 0
  ;;
create)
  [ $# -ge 3 ] && [ $# -le 4 ] || usage
  name_ok "$3"
  tpl=${4:-$template}
  name_ok "$tpl"
  psql_admin "CREATE DATABASE $3 TEMPLATE $tpl" >&2
  url "$3"
  exit 0
  ;;
drop)
  [ $# -eq 3 ] || usage
  name_ok "$3"
  psql_admin "DROP DATABASE IF EXISTS $3 WITH (FORCE)" >&2
  exit 0
  ;;
esac

[ -x "$bin/initdb" ] ||
  { echo "cluster.sh: $bin/initdb not found (scripts/setup.sh test installs postgresql-15)" >&2; exit 1; }

# Run a command as the cluster's owner.
as_owner=()
owner=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  owner=meldpunt-test
  if ! id "$owner" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$owner"
  fi
  as_owner=(runuser -u "$owner" --)
fi
run() { "${as_owner[@]}" "$@"; }

case "$cmd" in
start)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" -eq 0 ]; then chown "$owner" "$dir"; fi
  chmod 0700 "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    run "$bin/initdb" --pgdata="$dir/data" --username="$role" --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    cat >>"$dir/data/postgresql.conf" <<EOF
# tests/pg/cluster.sh: a private, throwaway cluster
listen_addresses = ''
unix_socket_directories = '$dir'
unix_socket_permissions = 0700
max_connections = 300
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = 1GB
log_min_messages = warning
log_min_error_statement = panic
EOF
  fi
  # A cluster left running by an interrupted run is stopped first.
  if run "$bin/pg_ctl" status --pgdata="$dir/data" >/dev/null 2>&1; then
    run "$bin/pg_ctl" stop --pgdata="$dir/data" --mode=fast --wait >/dev/null
  fi
  run "$bin/pg_ctl" start --pgdata="$dir/data" --log="$dir/server.log" --wait --timeout=60 \
    >/dev/null || { tail -20 "$dir/server.log" >&2; exit 1; }
  psql=("$bin/psql" --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --host="$dir" --username="$role")
  if ! run "${psql[@]}" --dbname=postgres --tuples-only --no-align \
      --command="SELECT 1 FROM pg_database WHERE datname = '$template'" | grep -q 1; then
    run "${psql[@]}" --dbname=postgres --command="CREATE DATABASE $template"
    run "${psql[@]}" --dbname="$template" --command="CREATE EXTENSION postgis"
    run "${psql[@]}" --dbname=postgres --command="ALTER DATABASE $template IS_TEMPLATE true"
  fi
  echo "cluster.sh: PostgreSQL on $(url "$template")"
  ;;
restart | down | up)
  # restart is pg_ctl restart -m fast, as a stop and a start so that the server's log still
  # goes to DIR/server.log (pg_ctl restart has no --log).
  if [ "$cmd" != up ]; then
    run "$bin/pg_ctl" stop --pgdata="$dir/data" --mode=fast --wait >/dev/null
  fi
  if [ "$cmd" != down ]; then
    run "$bin/pg_ctl" start --pgdata="$dir/data" --log="$dir/server.log" --wait --timeout=60 \
      >/dev/null || { tail -20 "$dir/server.log" >&2; exit 1; }
  fi
  ;;
stop)
  if [ -d "$dir/data" ] &&
      run "$bin/pg_ctl" status --pgdata="$dir/data" >/dev/null 2>&1; then
    run "$bin/pg_ctl" stop --pgdata="$dir/data" --mode=immediate --wait >/dev/null
  fi
  rm -rf "$dir"
  ;;
*)
  usage
  ;;
esac
