#!/usr/bin/env bash
# Consistent online backup of Spark Den: one pg_dump snapshot (custom format, compressed) of
# the whole database, plus a tarball of the keys directory (field-encryption keyring, JWT
# signing, sealing and audit HMAC keys: without them the restored rows cannot be read or
# verified), with the SHA-256 of both beside them.
# Usage: DATABASE_URL=postgres://… [SPARKDEN_KEYS_DIR=…|SPARKDEN_DATA_DIR=…] backup.sh <out-dir>
# The keys directory is SPARKDEN_KEYS_DIR, default <SPARKDEN_DATA_DIR (default .data)>/keys.
# Keep the keys tarball apart from the dump (another vault): it decrypts the dump.
set -euo pipefail
out=${1:?usage: backup.sh <out-dir>}
: "${DATABASE_URL:?DATABASE_URL must name the database to back up}"
keys=${SPARKDEN_KEYS_DIR:-${SPARKDEN_DATA_DIR:-.data}/keys}
[ -d "$keys" ] || { echo "backup.sh: no keys directory at $keys" >&2; exit 2; }
mkdir -p "$out"
umask 077
stamp=$(date -u +%Y%m%dT%H%M%SZ)
file="$out/sparkden-$stamp.dump"
pg_dump --format=custom --compress=6 --no-owner --no-privileges \
  --dbname="$DATABASE_URL" --file="$file.partial"
tar -czf "$file.keys.tar.gz.partial" -C "$keys" .
mv "$file.partial" "$file"
mv "$file.keys.tar.gz.partial" "$file.keys.tar.gz"
(cd "$out" && sha256sum "$(basename "$file")" "$(basename "$file").keys.tar.gz") >"$file.sha256"
echo "$file"
