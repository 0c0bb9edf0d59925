#!/bin/bash
# Install the third-party STOMP clients that internal/testing/thirdparty runs against `stomp serve` and the
# real brokers (idempotent; .ci/run calls it, and so can a developer as root):
#   Debian: python3-stomp (stomp.py), ruby-stomp, libnet-stomp-perl (Net::Stomp), php-cli + php-stomp,
#           chromium (the headless browser tests: stompjs here, the stomp bench report in internal/bench),
#           nodejs + npm when node is missing;
#   npm:    `npm ci` in internal/testing/thirdparty/testdata (@stomp/stompjs, @stomp/tcp-wrapper, ws, pinned
#           by its package-lock.json).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
ROOT=$(cd "$(dirname "$0")/.." && pwd)
t0=$(date +%s)

need=()
[ -f /usr/lib/python3/dist-packages/stomp/__main__.py ] || need+=(python3-stomp)
ruby -e "require 'stomp'" 2>/dev/null || need+=(ruby-stomp)
perl -MNet::Stomp -e 1 2>/dev/null || need+=(libnet-stomp-perl)
command -v php >/dev/null || need+=(php-cli)
php -r 'exit(class_exists("Stomp") ? 0 : 1);' 2>/dev/null || need+=(php-stomp)
command -v chromium >/dev/null || need+=(chromium)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "thirdparty-install.sh: need root to apt-get install: ${need[*]}" >&2; exit 1; }
  log=${TMPDIR:-/tmp}/stomp-thirdparty-apt.log
  apt-get update -qq
  apt-get install -y -qq -o Dpkg::Use-Pty=0 "${need[@]}" > "$log" 2>&1 || {
    echo "apt-get install ${need[*]} failed:" >&2
    tail -40 "$log" >&2
    exit 1
  }
  echo "installed: ${need[*]} in $(( $(date +%s) - t0 ))s"
fi

t1=$(date +%s)
cd "$ROOT/internal/testing/thirdparty/testdata"
npm ci --no-audit --no-fund --loglevel=error
echo "npm ci in internal/testing/thirdparty/testdata: $(( $(date +%s) - t1 ))s"
echo "third-party clients: python3-stomp $(dpkg-query -W -f='${Version}' python3-stomp)," \
  "ruby-stomp $(dpkg-query -W -f='${Version}' ruby-stomp)," \
  "libnet-stomp-perl $(dpkg-query -W -f='${Version}' libnet-stomp-perl)," \
  "php-stomp $(dpkg-query -W -f='${Version}' php-stomp), $(chromium --version 2>/dev/null)," \
  "node $(node --version), $(npm ls --depth=0 2>/dev/null | tail -n +2 | sed 's/^[^@a-z]*//' | paste -sd' ')"
