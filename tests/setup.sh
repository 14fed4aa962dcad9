#!/usr/bin/env bash
# Prepares a machine for `make test`: starts Postgres and NATS when they
# are down, installs the Debian packages the tests use when missing.
# Idempotent and quiet when everything is there.
set -euo pipefail

pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
nats_up() { (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; }

# apt-get needs root: GitHub's runners (and most developers) are not, but have sudo.
# Another apt (a fresh machine's unattended upgrades, a second make) may hold dpkg's lock:
# wait for it (up to 10 minutes) instead of failing at once.
apt_get() {
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
  elif command -v sudo >/dev/null; then
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
  else
    echo "setup: apt-get $* needs root (run make deps as root, or install it yourself)" >&2
    return 1
  fi
}

# provided tells whether what a package gives the tests is there already, installed as that
# Debian package or otherwise (Ubuntu runners: Chrome and tools preinstalled, PostGIS in the
# Postgres service container).
provided() {
  dpkg -s "$1" >/dev/null 2>&1 && return 0
  case "$1" in
  chromium) [ -x /usr/bin/chromium ] ;; # the path tests/browser uses
  chromium-driver) command -v chromedriver >/dev/null ;;
  postgresql-*-postgis-*)
    command -v psql >/dev/null &&
      [ "$(psql "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}" -tAc \
        "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'" 2>/dev/null)" = 1 ]
    ;;
  *) command -v "$1" >/dev/null ;;
  esac
}

if ! pg_up; then
  echo "setup: starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "setup: PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }
fi

# NATS is for the tests of the NATS queue only: `make local` skips it (SETUP_NATS=no).
if [ "${SETUP_NATS:-yes}" != no ] && ! nats_up; then
  if ! command -v nats-server >/dev/null; then
    echo "setup: installing nats-server"
    apt_get update -qq && apt_get install -y -qq nats-server >/dev/null
  fi
  echo "setup: starting NATS"
  start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- -a 127.0.0.1 -p 4222 -js -sd /tmp/nats-js
  for _ in $(seq 1 30); do nats_up && break; sleep 1; done
fi

# What some tests need (browser tests, PostGIS for the webapp schema), as Debian packages.
need=()
for pkg in "$@"; do
  provided "$pkg" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  apt_get update -qq && apt_get install -y -qq "${need[@]}" >/dev/null
fi
