#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, from Debian's postgresql
# package: `source scripts/postgres.sh` starts one in a temporary directory
# on a free port, exports CCP_TEST_POSTGRES_URL for the Rust tests, and stops
# it (and removes its files) when the sourcing shell exits.
# PostgreSQL refuses to run as root: as root, it runs as the `postgres` user.

pg_bin=$(compgen -G "/usr/lib/postgresql/*/bin" | sort -V | tail -n 1)
pg_dir=$(mktemp -d /tmp/ccp-postgres.XXXXXX)
pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pg_as() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[[ $(id -u) -eq 0 ]] && chown postgres "$pg_dir"

pg_as "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U ccp >/dev/null
pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
pg_as "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U ccp ccp_test

stop_postgres() {
  pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_postgres EXIT

export CCP_TEST_POSTGRES_URL="postgres://ccp@127.0.0.1:$pg_port/ccp_test"
echo "PostgreSQL for the tests: $CCP_TEST_POSTGRES_URL"
