#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis servers on free loopback ports, for the test run.
# Sourced by test.sh: start_services exports TEST_DATABASE_URL and TEST_REDIS_URL, and
# stop_services removes everything again. As root, PostgreSQL runs as the postgres user
# (initdb and pg_ctl refuse root).

SERVICES_DIR=""

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# as_postgres CMD...: run CMD as the postgres user when we are root, from a folder it owns.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$SERVICES_DIR/pg" && runuser -u postgres -- "$@")
  else
    (cd "$SERVICES_DIR/pg" && "$@")
  fi
}

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

start_services() {
  SERVICES_DIR=$(mktemp -d /tmp/flask-auth-services.XXXXXX)
  chmod 755 "$SERVICES_DIR"
  mkdir -p "$SERVICES_DIR/pg" "$SERVICES_DIR/redis"
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$SERVICES_DIR/pg"

  local bin port
  bin=$(pg_bin)
  [ -n "$bin" ] || { echo "PostgreSQL is not installed" >&2; return 1; }
  port=$(free_port)
  as_postgres "$bin/initdb" -D "$SERVICES_DIR/pg/data" -U postgres -A trust -E UTF8 \
    --no-sync >/dev/null
  as_postgres "$bin/pg_ctl" -D "$SERVICES_DIR/pg/data" -l "$SERVICES_DIR/pg/log" -w \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $SERVICES_DIR/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
  export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres"

  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --dir "$SERVICES_DIR/redis" --pidfile "$SERVICES_DIR/redis/redis.pid" \
    --logfile "$SERVICES_DIR/redis/redis.log"
  export TEST_REDIS_URL="redis://127.0.0.1:$port/0"
  for _ in $(seq 50); do
    [ -s "$SERVICES_DIR/redis/redis.pid" ] && break
    sleep 0.1
  done
  echo "PostgreSQL at $TEST_DATABASE_URL, Redis at $TEST_REDIS_URL"
}

stop_services() {
  [ -n "$SERVICES_DIR" ] || return 0
  if [ -s "$SERVICES_DIR/redis/redis.pid" ]; then
    kill "$(cat "$SERVICES_DIR/redis/redis.pid")" 2>/dev/null || true
  fi
  if [ -d "$SERVICES_DIR/pg/data" ]; then
    as_postgres "$(pg_bin)/pg_ctl" -D "$SERVICES_DIR/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$SERVICES_DIR"
  SERVICES_DIR=""
}
