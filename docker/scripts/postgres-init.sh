#!/bin/sh
# First start of the target database (docker-entrypoint-initdb.d): the least-privilege `cdc_writer`
# role, owner of the `replica` (replicated tables) and `cdc_meta` (checkpoints, results) schemas and
# nothing else. The password is read with psql's \getenv and bound as a quoted psql variable, so no
# character of it can break the statement.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres --dbname warehouse <<'SQL'
\getenv writer_password CDC_PG_WRITER_PASSWORD
SELECT :'writer_password' <> '' AS has_password \gset
\if :has_password
\else
  \echo 'CDC_PG_WRITER_PASSWORD is empty'
  \quit 3
\endif
CREATE ROLE cdc_writer LOGIN PASSWORD :'writer_password';
REVOKE ALL ON DATABASE warehouse FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE warehouse TO cdc_writer;
CREATE SCHEMA replica AUTHORIZATION cdc_writer;
CREATE SCHEMA cdc_meta AUTHORIZATION cdc_writer;
ALTER ROLE cdc_writer SET search_path = replica, cdc_meta;
SQL
