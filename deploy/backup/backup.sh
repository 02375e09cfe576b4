#!/usr/bin/env bash
# Consistent online backup of the Spark Den database: one pg_dump snapshot (custom format,
# compressed) of every Spark Den schema, with a SHA-256 beside it.
# Usage: DATABASE_URL=postgres://… deploy/backup/backup.sh <out-dir>
set -euo pipefail
out=${1:?usage: backup.sh <out-dir>}
: "${DATABASE_URL:?DATABASE_URL must name the database to back up}"
mkdir -p "$out"
umask 077
stamp=$(date -u +%Y%m%dT%H%M%SZ)
file="$out/sparkden-$stamp.dump"
pg_dump --format=custom --compress=6 --no-owner --no-privileges \
  --dbname="$DATABASE_URL" --file="$file.partial"
mv "$file.partial" "$file"
sha256sum "$file" >"$file.sha256"
echo "$file"
