# Shared by scripts/bench-submit and scripts/crash-test (sourced, not run): a fresh database
# (SQLite file, or a new database on the PostgreSQL server PG_URL), a release server on a free
# port, an admin key and the registered dossiers. Expects WORK (a scratch folder) and BIN.

LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# fresh_database [PG_URL]: sets DATABASE_URL (exported) and DB (what verification queries).
fresh_database() {
  if [ -n "${1:-}" ]; then
    PG_SERVER=$1
    PG_NAME="sipas_load_$(date +%s)_$$"
    psql -X -q -v ON_ERROR_STOP=1 "$PG_SERVER" -c "create database $PG_NAME" >/dev/null
    DATABASE_URL="${PG_SERVER%/*}/$PG_NAME"
    DB=$DATABASE_URL
  else
    PG_SERVER=
    DB="$WORK/sipas.db"
    DATABASE_URL="sqlite://$DB?mode=rwc"
  fi
  export DATABASE_URL
  # One server secret for the run (every restart of the crash test derives the same links). It
  # is never in the database; on PostgreSQL the server refuses to start without one.
  APP_SECURITY__TOKEN_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
  export APP_SECURITY__TOKEN_SECRET
}

drop_database() {
  if [ -n "${PG_SERVER:-}" ]; then
    psql -X -q "$PG_SERVER" -c "drop database if exists $PG_NAME with (force)" >/dev/null 2>&1 || true
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_server: runs `sipas serve` on PORT in the background (PID in SERVER), waits for /ready.
start_server() {
  APP_LOG__LEVEL=${APP_LOG__LEVEL:-warn} APP_EMAIL__FILE_DIR="$WORK/outbox" \
    "$BIN" serve --bind "127.0.0.1:$PORT" >>"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 300); do
    curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER" 2>/dev/null || break
    sleep 0.1
  done
  echo "the server did not start; its log:" >&2
  tail -n 30 "$WORK/server.log" >&2
  return 1
}

stop_server() {
  if [ -n "${SERVER:-}" ] && kill -0 "$SERVER" 2>/dev/null; then
    kill -TERM "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
  fi
  SERVER=
}

# prepare_load N AGENCIES: an admin key (KEY), AGENCIES agencies and N registered dossiers, their
# tokens in $WORK/tokens.tsv.
prepare_load() {
  KEY=$("$BIN" keys create --role admin --label load 2>>"$WORK/server.log")
  python3 "$LIB/load.py" register "http://127.0.0.1:$PORT" "$KEY" "$1" "$2" "$WORK/tokens.tsv"
}

# sql QUERY: one query on DB, tab-separated rows.
sql() {
  if [ -n "${PG_SERVER:-}" ]; then
    psql -X -q -A -t -F $'\t' -v ON_ERROR_STOP=1 "$DB" -c "$1"
  else
    sqlite3 -batch -cmd ".timeout 10000" -separator $'\t' "$DB" "$1"
  fi
}

# backend_name: what the numbers were measured on.
backend_name() {
  if [ -n "${PG_SERVER:-}" ]; then
    echo "PostgreSQL $(sql 'show server_version' | cut -d' ' -f1), fsync=$(sql 'show fsync'), synchronous_commit=$(sql 'show synchronous_commit')"
  else
    echo "SQLite file, WAL, synchronous=FULL"
  fi
}
