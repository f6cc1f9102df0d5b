#!/bin/sh
# Runs once, when the database is created: a read-only role for Grafana that can select from
# every table and view Fieldscope creates later (the grafana_* views are the supported ones).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v grafana_password="$GRAFANA_PG_PASSWORD" <<'SQL'
CREATE ROLE grafana LOGIN PASSWORD :'grafana_password';
GRANT CONNECT ON DATABASE fieldscope TO grafana;
GRANT USAGE ON SCHEMA public TO grafana;
ALTER DEFAULT PRIVILEGES FOR ROLE fieldscope IN SCHEMA public GRANT SELECT ON TABLES TO grafana;
SQL
