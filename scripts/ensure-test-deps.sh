#!/usr/bin/env bash
# Debian tools the test suite calls: promtool (package prometheus) to lint the /metrics
# exposition, python3 to receive systemd's NOTIFY_SOCKET datagram, systemd-notify (systemd)
# to send it, nginx and openssl to check the nginx site with `nginx -t` and a test certificate,
# bubblewrap (bwrap) for the command sandbox the tool tests run commands in, curl for the curl
# Claude Code hook, docker-compose (v1, Debian's) to check docker-compose.yml with `docker-compose
# config` (no engine needed), chromium for the web console's browser tests (playwright-core drives
# Debian's build: `npx playwright install` cannot download one here). kubectl (with kustomize v4+, for `kubectl kustomize` on k8s/) is not
# in Debian at a usable version (kubernetes-client 1.20 has kustomize v2): it must be on the
# machine already. Installs what is
# missing when it can (root with apt-get), else says what to install. The database tests need
# PostgreSQL at 127.0.0.1:5432 (trust auth; or ORCHESTRATOR_TEST_DATABASE_URL): started here if it is down.
set -euo pipefail

ensure_postgres() {
  [ -n "${ORCHESTRATOR_TEST_DATABASE_URL:-}" ] && return 0
  pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && return 0
  if command -v pg_lsclusters >/dev/null 2>&1; then
    local version name
    read -r version name _ < <(pg_lsclusters --no-header | head -n 1)
    echo "starting PostgreSQL cluster ${version}/${name} for the database tests"
    pg_ctlcluster --skip-systemctl-redirect "${version}" "${name}" start || true
    for _ in $(seq 1 30); do
      pg_isready -q -h 127.0.0.1 -p 5432 && return 0
      sleep 1
    done
  fi
  echo "PostgreSQL is not reachable at 127.0.0.1:5432: start it (pg_ctlcluster --skip-systemctl-redirect 15 main start) or set ORCHESTRATOR_TEST_DATABASE_URL" >&2
  exit 1
}

missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v systemd-notify >/dev/null 2>&1 || missing+=(systemd)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ! command -v kubectl >/dev/null 2>&1; then
  echo "kubectl is not installed: install kubectl >= 1.21 (its built-in kustomize renders k8s/ in test/deploy-artifacts-scaling.e2e-spec.ts)" >&2
  exit 1
fi
if [ ${#missing[@]} -eq 0 ]; then
  ensure_postgres
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing test prerequisites (Debian packages): ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "missing test prerequisites (Debian packages): ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
ensure_postgres
