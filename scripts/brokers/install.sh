#!/bin/bash
# Install what the real-broker tests need from Debian's packages (idempotent; a no-op when all is there):
#   rabbitmq-server (rabbitmq_stomp + rabbitmq_web_stomp plugins ship with it), activemq (+ a headless JRE),
#   python3-stomp (reference client for interop tests), openssl (test certificates), procps (ps),
#   tmux and jq (terminal and pipeline tests).
# No service is started: policy-rc.d forbids it during the install, the start scripts run the brokers.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
command -v openssl >/dev/null || need+=(openssl)
command -v ps >/dev/null || need+=(procps)
command -v timeout >/dev/null || need+=(coreutils)
command -v tmux >/dev/null || need+=(tmux)   # terminal tests of the shell (internal/testing/ptytest)
command -v jq >/dev/null || need+=(jq)       # pipeline tests (cmd/testdata/script/pipeline.txtar)
command -v java >/dev/null || need+=(default-jre-headless)
command -v keytool >/dev/null || need+=(default-jre-headless)
ls -d /usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin >/dev/null 2>&1 || need+=(rabbitmq-server)
[ -f /usr/share/activemq/bin/activemq.jar ] || need+=(activemq)
[ -f /usr/lib/python3/dist-packages/stomp/__main__.py ] || need+=(python3-stomp)
if [ ${#need[@]} -eq 0 ]; then
  echo "brokers already installed"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "install.sh: need root to apt-get install: ${need[*]}" >&2; exit 1; }

# Keep package maintainer scripts from starting rabbitmq-server/activemq services (they would take our ports).
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  made_policy=1
fi
trap '[ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT

t0=$(date +%s)
apt-get update -qq
# dedupe: default-jre-headless may be listed twice
mapfile -t pkgs < <(printf '%s\n' "${need[@]}" | sort -u)
apt-get install -y -qq -o Dpkg::Use-Pty=0 "${pkgs[@]}" > "${TMPDIR:-/tmp}/stomp-brokers-apt.log" 2>&1 || {
  echo "apt-get install ${pkgs[*]} failed:" >&2
  tail -40 "${TMPDIR:-/tmp}/stomp-brokers-apt.log" >&2
  exit 1
}
echo "installed: ${pkgs[*]} in $(( $(date +%s) - t0 ))s"
