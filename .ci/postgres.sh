#!/usr/bin/env bash
# A real PostgreSQL on 127.0.0.1 for the workflow-store tests (`make test-postgres`).
# Installs Debian's postgresql if missing, starts its cluster listening on loopback only,
# creates (or refreshes) a role and a database, and prints the SQLAlchemy URL to export:
#   export RECON_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)
# Idempotent: run it again and it reuses what is there. Runs as root (CI) or via sudo.
# The password is random on every run and never stored in the repository.
set -euo pipefail

DB=${RECON_PG_DB:-recon_test}
ROLE=${RECON_PG_ROLE:-recon}
say() { echo "postgres.sh: $*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { as_root runuser -u postgres -- "$@"; }

if ! command -v pg_lsclusters >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    say "installing postgresql (Debian package)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi

VERSION=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main"' | grep -q .; then
    say "creating cluster $VERSION/main"
    as_root pg_createcluster "$VERSION" main >&2
fi
# Loopback only, whatever the cluster had: these tests never open a port to a network.
# (A drop-in read after postgresql.conf, so the packaged file stays as Debian ships it.)
DROPIN="/etc/postgresql/$VERSION/main/conf.d/recon-loopback.conf"
LOOPBACK="listen_addresses = '127.0.0.1'"
CHANGED=no
if [ "$(cat "$DROPIN" 2>/dev/null)" != "$LOOPBACK" ]; then
    echo "$LOOPBACK" | as_root tee "$DROPIN" >/dev/null
    CHANGED=yes
fi
PORT=$(pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" {print $3}')
STATUS=$(pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" {print $4}')
if [ "$STATUS" != "online" ]; then
    say "starting cluster $VERSION/main on 127.0.0.1:$PORT"
    as_root pg_ctlcluster "$VERSION" main start >&2
elif [ "$CHANGED" = yes ]; then
    say "restarting cluster $VERSION/main to listen on 127.0.0.1 only"
    as_root pg_ctlcluster "$VERSION" main restart >&2
fi
for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p "$PORT" && break
    sleep 1
done
pg_isready -q -h 127.0.0.1 -p "$PORT" || { say "PostgreSQL did not come up on port $PORT"; exit 1; }

PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
as_postgres psql -q -p "$PORT" -v ON_ERROR_STOP=1 -v role="$ROLE" -v pw="$PASSWORD" >&2 <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'role', :'pw') \gexec
SQL
as_postgres psql -q -p "$PORT" -v ON_ERROR_STOP=1 -v db="$DB" -v role="$ROLE" >&2 <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
echo "postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
