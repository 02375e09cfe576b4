#!/usr/bin/env bash
# Consistent online backup of Spark Den: one pg_dump snapshot (custom format, compressed) of
# the whole database, plus a tarball of the keys directory (field-encryption keyring, JWT
# signing, sealing and audit HMAC keys: without them the restored rows cannot be read or
# verified), with the SHA-256 of both beside them.
# Usage: DATABASE_URL=postgres://… [SPARKDEN_KEYS_DIR=…|SPARKDEN_DATA_DIR=…] \
#   backup.sh [--keep=N] <out-dir>
# The keys directory is SPARKDEN_KEYS_DIR, default <SPARKDEN_DATA_DIR (default .data)>/keys.
# Keep the keys tarball apart from the dump (another vault): it decrypts the dump.
# --keep=N: once this backup is complete, delete all but the newest N backups in <out-dir>
# (each with its keys tarball and checksums) and the leftovers of failed runs.
set -euo pipefail
keep=
if [[ "${1:-}" == --keep=* ]]; then
  keep=${1#--keep=}
  shift
  [[ "$keep" =~ ^[1-9][0-9]*$ ]] || { echo "backup.sh: --keep must be a number >= 1" >&2; exit 2; }
fi
out=${1:?usage: backup.sh [--keep=N] <out-dir>}
: "${DATABASE_URL:?DATABASE_URL must name the database to back up}"
keys=${SPARKDEN_KEYS_DIR:-${SPARKDEN_DATA_DIR:-.data}/keys}
[ -d "$keys" ] || { echo "backup.sh: no keys directory at $keys" >&2; exit 2; }
mkdir -p "$out"
umask 077
stamp=$(date -u +%Y%m%dT%H%M%SZ)
file="$out/sparkden-$stamp.dump"
pg_dump --format=custom --compress=6 --no-owner --no-privileges \
  --dbname="$DATABASE_URL" --file="$file.partial"
# The audit checkpoint stays out: it records the live chain's head, which may already be past
# the dump, and a restored hub refuses to write audit records behind it. A restore starts a
# new checkpoint at the restored head (backup/README.md, "Restore").
tar -czf "$file.keys.tar.gz.partial" --exclude=./audit-checkpoint.json -C "$keys" .
mv "$file.partial" "$file"
mv "$file.keys.tar.gz.partial" "$file.keys.tar.gz"
(cd "$out" && sha256sum "$(basename "$file")" "$(basename "$file").keys.tar.gz") >"$file.sha256"
if [ -n "$keep" ]; then
  # The UTC stamps sort as text, and glob expansion is sorted: oldest first.
  dumps=("$out"/sparkden-*.dump)
  for ((i = 0; i < ${#dumps[@]} - keep; i++)); do
    rm -f "${dumps[i]}" "${dumps[i]}.keys.tar.gz" "${dumps[i]}.sha256"
  done
  rm -f "$out"/sparkden-*.partial
fi
echo "$file"
