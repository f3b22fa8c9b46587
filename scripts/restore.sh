#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into the configured (empty) database and
# folders, then prove the registry: `flask registry verify` must pass.
#
#   scripts/restore.sh /var/backups/tanhui/tanhui-20270312T020000Z
#
# PostgreSQL: the database named in DATABASE_URL must exist and be empty (createdb it);
# pg_restore --exit-on-error --no-owner. SQLite: the file must not exist yet.
# The certificate store, plot photos and signing key are put where the app looks for
# them; existing files there are refused, so nothing is overwritten by mistake.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: $0 BACKUP_DIR" >&2; exit 2; }
src="$1"
PY=.venv/bin/python
FLASK=".venv/bin/flask --app wsgi"
eval "$($PY scripts/backup-env.py)"

(cd "$src" && sha256sum --check --quiet SHA256SUMS)

if [ -f "$src/database.pgdump" ]; then
  [ "$DB_KIND" = postgresql ] || { echo "backup is PostgreSQL, DATABASE_URL is not" >&2; exit 1; }
  tables=$(psql "$PG_URL" -Atc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
  [ "$tables" = 0 ] || { echo "refusing: the target database is not empty" >&2; exit 1; }
  pg_restore --exit-on-error --no-owner --dbname "$PG_URL" "$src/database.pgdump"
else
  [ "$DB_KIND" = sqlite ] || { echo "backup is SQLite, DATABASE_URL is not" >&2; exit 1; }
  [ ! -e "$SQLITE_PATH" ] || { echo "refusing: $SQLITE_PATH exists" >&2; exit 1; }
  mkdir -p "$(dirname "$SQLITE_PATH")"
  cp "$src/database.sqlite3" "$SQLITE_PATH"
fi

for pair in "certificates:$CERT_DIR" "plot-photos:$PHOTO_DIR"; do
  name="${pair%%:*}"; dir="${pair#*:}"
  if [ -f "$src/$name.tar.gz" ]; then
    mkdir -p "$dir"
    [ -z "$(ls -A "$dir")" ] || { echo "refusing: $dir is not empty" >&2; exit 1; }
    tar -C "$dir" -xzf "$src/$name.tar.gz"
  fi
done
if [ -f "$src/signing-key.pem" ]; then
  if [ -z "$KEY_FILE" ]; then
    echo "SIGNING_KEY is set in the environment: not restoring signing-key.pem" >&2
  else
    [ ! -e "$KEY_FILE" ] || cmp -s "$KEY_FILE" "$src/signing-key.pem" \
      || { echo "refusing: a different key is at $KEY_FILE" >&2; exit 1; }
    mkdir -p "$(dirname "$KEY_FILE")"
    install -m 600 "$src/signing-key.pem" "$KEY_FILE"
  fi
fi
if [ -f "$src/retired-keys.json" ] && [ -n "$RETIRED_KEYS" ]; then
  install -m 644 "$src/retired-keys.json" "$RETIRED_KEYS"
fi

$FLASK registry verify
echo "restored from $src"
