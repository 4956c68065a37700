#!/bin/sh
# PgBouncer for the ESN (docker-compose.yml; tests/servers.py runs this same script in front
# of the test database). Transaction pooling: a server connection is lent for one transaction,
# so a few dozen PostgreSQL connections serve every web thread. Django is told
# (DATABASE_TRANSACTION_POOLING=1, esn/settings.py).
#
#   DB_HOST, DB_PORT (5432), DB_USER, DB_PASSWORD   PostgreSQL, for the server connections
#   PGBOUNCER_PORT (6432), PGBOUNCER_AUTH_TYPE (scram-sha-256; clients send DB_USER/DB_PASSWORD)
#   PGBOUNCER_POOL_SIZE (20), PGBOUNCER_MAX_CLIENT_CONN (500)
#   PGBOUNCER_CONFIG_DIR (/etc/pgbouncer)
# Extra arguments go to pgbouncer (the tests pass `-u postgres` when running as root).
set -eu

: "${DB_HOST:?set DB_HOST}"
: "${DB_USER:?set DB_USER}"
dir="${PGBOUNCER_CONFIG_DIR:-/etc/pgbouncer}"
server="host=${DB_HOST} port=${DB_PORT:-5432}"
if [ -n "${DB_PASSWORD:-}" ]; then
  server="${server} password=${DB_PASSWORD}"
fi

umask 077
printf '"%s" "%s"\n' "$DB_USER" "${DB_PASSWORD:-}" > "$dir/userlist.txt"
cat > "$dir/pgbouncer.ini" <<INI
[databases]
* = ${server}

[pgbouncer]
listen_addr = ${PGBOUNCER_LISTEN_ADDR:-0.0.0.0}
listen_port = ${PGBOUNCER_PORT:-6432}
unix_socket_dir =
auth_type = ${PGBOUNCER_AUTH_TYPE:-scram-sha-256}
auth_file = ${dir}/userlist.txt
pool_mode = transaction
default_pool_size = ${PGBOUNCER_POOL_SIZE:-20}
max_client_conn = ${PGBOUNCER_MAX_CLIENT_CONN:-500}
# psycopg2 sends these when it connects; a pooled server connection cannot keep them per
# client, and Django does not need them.
ignore_startup_parameters = extra_float_digits,options
# A client that keeps a transaction open longer than this is cut off: the pool is shared.
idle_transaction_timeout = 60
server_reset_query =
INI
exec pgbouncer "$@" "$dir/pgbouncer.ini"
