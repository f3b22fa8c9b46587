#!/usr/bin/env bash
# Back up what Tanhui cannot rebuild: the database, the certificate store and plot photos,
# the signing key (and retired keys). Reads the app's environment (DATABASE_URL,
# CERTIFICATE_DIR, PLOT_PHOTO_DIR, SIGNING_KEY_FILE, …) like the app does.
#
#   scripts/backup.sh /var/backups/tanhui          # writes /var/backups/tanhui/tanhui-<UTC time>/
#
# First a signed tree head is published, so the backup holds a head to check the restored
# ledger against. PostgreSQL: pg_dump -Fc (consistent snapshot, online). SQLite: the
# online backup API. Files: tar of the folders. Then SHA256SUMS over everything.
# A key given inline (SIGNING_KEY) lives in the environment file: back that up apart.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: $0 BACKUP_ROOT" >&2; exit 2; }
PY=.venv/bin/python
FLASK=".venv/bin/flask --app wsgi"
eval "$($PY scripts/backup-env.py)"
[ -z "$S3_BUCKET" ] || echo "note: STORAGE_S3_BUCKET is set; back up the bucket with the store's own tools" >&2

target="$1/tanhui-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$target"
umask 077

$FLASK registry publish-head

if [ "$DB_KIND" = postgresql ]; then
  pg_dump --format=custom --no-owner --file "$target/database.pgdump" "$PG_URL"
else
  $PY - "$SQLITE_PATH" "$target/database.sqlite3" <<'PY'
import sqlite3, sys
src, dst = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
with dst:
    src.backup(dst)
src.close(); dst.close()
PY
fi

for pair in "certificates:$CERT_DIR" "plot-photos:$PHOTO_DIR"; do
  name="${pair%%:*}"; dir="${pair#*:}"
  if [ -d "$dir" ]; then
    tar -C "$dir" -czf "$target/$name.tar.gz" --exclude='./readyz' .
  fi
done
if [ -n "$KEY_FILE" ] && [ -f "$KEY_FILE" ]; then cp -p "$KEY_FILE" "$target/signing-key.pem"; fi
if [ -n "$RETIRED_KEYS" ] && [ -f "$RETIRED_KEYS" ]; then cp -p "$RETIRED_KEYS" "$target/retired-keys.json"; fi

(cd "$target" && sha256sum -- * > SHA256SUMS)
echo "backup written to $target"
ls -l "$target"
