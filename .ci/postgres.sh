#!/usr/bin/env bash
# Make sure a PostgreSQL server listens on 127.0.0.1:5432 with trust auth and a `test` database.
set -euo pipefail
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then exit 0; fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
fi
version="$(ls /etc/postgresql | sort -V | tail -1)"
if [ -z "$version" ]; then echo "no PostgreSQL cluster found" >&2; exit 1; fi
conf="/etc/postgresql/$version/main"
if ! grep -q "riftcast-trust" "$conf/pg_hba.conf"; then
  sed -i '1i host all all 127.0.0.1/32 trust # riftcast-trust\nlocal all all trust # riftcast-trust' \
    "$conf/pg_hba.conf"
fi
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test"
