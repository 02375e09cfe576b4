#!/usr/bin/env bash
# Restores a backup made by backup.sh into an EMPTY database, checking its SHA-256 first.
# Usage: DATABASE_URL=postgres://…/new-db deploy/backup/restore.sh <file.dump>
set -euo pipefail
file=${1:?usage: restore.sh <file.dump>}
: "${DATABASE_URL:?DATABASE_URL must name the (empty) database to restore into}"
(cd "$(dirname "$file")" && sha256sum --check --quiet "$(basename "$file").sha256")
pg_restore --exit-on-error --single-transaction --no-owner --no-privileges \
  --dbname="$DATABASE_URL" "$file"
echo "restored $file"
