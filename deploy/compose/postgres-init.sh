#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised: one database per service (a service's database is its
# own). The migrate jobs create the tables; `python -m bihuan_shared.migrate <service> --create-database` would also
# create a missing database, this script only saves them the rights to do so.
set -eu
for db in bihuan_planning bihuan_execution bihuan_supervision bihuan_assessment; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -c "CREATE DATABASE $db OWNER \"$POSTGRES_USER\""
done
