#!/usr/bin/env bash
# Debian tools the test suite calls: promtool (package prometheus) to lint the /metrics
# exposition, python3 to receive systemd's NOTIFY_SOCKET datagram, systemd-notify (systemd)
# to send it, nginx and openssl to check the nginx site with `nginx -t` and a test certificate,
# bubblewrap (bwrap) for the command sandbox the tool tests run commands in. Installs what is
# missing when it can (root with apt-get), else says what to install.
set -euo pipefail
missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v systemd-notify >/dev/null 2>&1 || missing+=(systemd)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing test prerequisites (Debian packages): ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "missing test prerequisites (Debian packages): ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
