#!/usr/bin/env bash
# A local Tryton for the `tryton` connector, without Docker: initializes a SQLite database once
# (~20-35 s) under DIR and serves it on loopback until Ctrl-C.
#   scripts/tryton_dev.sh [DIR] [PORT]        defaults: .contractflow/tryton 8000
# Then: CONTRACTFLOW_CONNECTOR=tryton CONTRACTFLOW_TRYTON_URL=http://127.0.0.1:PORT \
#       CONTRACTFLOW_TRYTON_PASSWORD=admin contractflow run sample_docs/
set -euo pipefail

DIR=$(mkdir -p "${1:-.contractflow/tryton}" && cd "${1:-.contractflow/tryton}" && pwd)
PORT=${2:-8000}
BIN=${VENV:-.venv}/bin
DB=erp

[ -x "$BIN/trytond" ] || { echo "trytond missing: make setup (installs the erp extra)" >&2; exit 1; }
printf '[database]\nuri = sqlite://\npath = %s\n' "$DIR" > "$DIR/trytond.conf"
if [ ! -s "$DIR/$DB.sqlite" ]; then
  echo "initializing Tryton database $DIR/$DB.sqlite (admin / admin) ..."
  touch "$DIR/$DB.sqlite"  # the SQLite backend opens, never creates, the file
  printf 'admin' > "$DIR/admin.pass"
  TRYTONPASSFILE="$DIR/admin.pass" "$BIN/trytond-admin" -c "$DIR/trytond.conf" -d "$DB" \
    -u purchase_blanket_agreement --activate-dependencies --all --email admin@example.com
fi
echo "Tryton on http://127.0.0.1:$PORT (database $DB, user admin, password admin)"
TRYTOND_WEB__LISTEN="127.0.0.1:$PORT" exec "$BIN/trytond" -c "$DIR/trytond.conf" -d "$DB"
