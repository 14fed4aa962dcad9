#!/usr/bin/env bash
# Prepares a machine for `make test`: starts Postgres and NATS when they
# are down, installs the Debian packages the tests use when missing.
# Idempotent and quiet when everything is there.
set -euo pipefail

pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
nats_up() { (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; }

if ! pg_up; then
  echo "setup: starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "setup: PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }
fi

if ! nats_up; then
  if ! command -v nats-server >/dev/null; then
    echo "setup: installing nats-server"
    apt-get update -qq && apt-get install -y -qq nats-server >/dev/null
  fi
  echo "setup: starting NATS"
  start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- -a 127.0.0.1 -p 4222 -js -sd /tmp/nats-js
  for _ in $(seq 1 30); do nats_up && break; sleep 1; done
fi

# Debian packages some tests need (browser tests, PostGIS for the webapp schema).
need=()
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
