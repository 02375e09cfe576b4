#!/usr/bin/env bash
# Restores a backup made by backup.sh: checks the SHA-256 of the dump and the keys tarball,
# unpacks the keys into an EMPTY keys directory, and restores the dump into an EMPTY database
# in one transaction. With TimescaleDB in the dump, it wraps pg_restore in
# timescaledb_pre_restore() / timescaledb_post_restore() as TimescaleDB requires.
# Usage: DATABASE_URL=postgres://…/new-db [SPARKDEN_KEYS_DIR=…|SPARKDEN_DATA_DIR=…] \
#   restore.sh <file.dump>
set -euo pipefail
file=${1:?usage: restore.sh <file.dump>}
: "${DATABASE_URL:?DATABASE_URL must name the (empty) database to restore into}"
keys=${SPARKDEN_KEYS_DIR:-${SPARKDEN_DATA_DIR:-.data}/keys}
(cd "$(dirname "$file")" && sha256sum --check --quiet "$(basename "$file").sha256")
if [ -d "$keys" ] && [ -n "$(ls -A "$keys")" ]; then
  echo "restore.sh: keys directory $keys is not empty; refusing to overwrite keys" >&2
  exit 2
fi
mkdir -p "$keys"
chmod 700 "$keys"
tar -xzf "$file.keys.tar.gz" -C "$keys"

timescale=0
if pg_restore --list "$file" | grep -q 'EXTENSION - timescaledb'; then
  timescale=1
  psql --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --dbname="$DATABASE_URL" \
    -c 'create extension if not exists timescaledb' -c 'select timescaledb_pre_restore()' \
    >/dev/null
fi
pg_restore --exit-on-error --single-transaction --no-owner --no-privileges \
  --dbname="$DATABASE_URL" "$file"
if [ "$timescale" = 1 ]; then
  psql --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --dbname="$DATABASE_URL" \
    -c 'select timescaledb_post_restore()' >/dev/null
fi
echo "restored $file (keys into $keys)"
