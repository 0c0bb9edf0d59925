#!/bin/bash
# Real brokers for the integration tests (RabbitMQ + ActiveMQ on 127.0.0.1, TLS listeners on).
#
#   scripts/ci-brokers.sh start    install (if needed), make TLS material, start both brokers (idempotent)
#   scripts/ci-brokers.sh stop     stop both brokers (by PID; idempotent)
#   scripts/ci-brokers.sh status   say which are running
#   scripts/ci-brokers.sh env      print the `export` lines the tests read:  eval "$(scripts/ci-brokers.sh env)"
#
# State lives under $BROKERS_ROOT (default ${TMPDIR:-/tmp}/stomp-brokers). STOMP_CI_SKIP_INSTALL=1 skips the
# install step; STOMP_CI_CLEAN=1 wipes the brokers' stored queues and messages before starting them (a broker
# that is already running is left as it is). See scripts/brokers/*.sh for ports and knobs.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
B=$HERE/brokers
. "$B/common.sh"

# Kept in step with the defaults of scripts/brokers/{rabbitmq-env,activemq-start}.sh.
RMQ_STOMP_PORT=${RMQ_STOMP_PORT:-61613}
RMQ_STOMP_TLS_PORT=${RMQ_STOMP_TLS_PORT:-61614}
RMQ_WEBSTOMP_PORT=${RMQ_WEBSTOMP_PORT:-15674}
AMQ_STOMP_PORT=${AMQ_STOMP_PORT:-61623}
AMQ_STOMP_TLS_PORT=${AMQ_STOMP_TLS_PORT:-61624}

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", (b-a)/1e9}'; }

start() {
  local t
  if [ "${STOMP_CI_SKIP_INSTALL:-0}" != 1 ]; then
    t=$(now); "$B/install.sh"; echo "ci-brokers: install step took $(secs "$t")s"
  fi
  t=$(now); "$B/make-tls.sh"; echo "ci-brokers: tls step took $(secs "$t")s"
  if [ "${STOMP_CI_CLEAN:-0}" = 1 ]; then
    export RMQ_CLEAN=1 AMQ_CLEAN=1
  fi
  t=$(now)
  if ! "$B/rabbitmq-start.sh"; then
    echo "ci-brokers: rabbitmq did not start" >&2; return 1
  fi
  echo "ci-brokers: rabbitmq start took $(secs "$t")s"
  t=$(now)
  if ! "$B/activemq-start.sh"; then
    echo "ci-brokers: activemq did not start" >&2; return 1
  fi
  echo "ci-brokers: activemq start took $(secs "$t")s"
}

stop() {
  local rc=0 t
  t=$(now)
  "$B/activemq-stop.sh" || rc=1
  "$B/rabbitmq-stop.sh" || rc=1
  echo "ci-brokers: stop took $(secs "$t")s"
  return $rc
}

status() {
  local rc=0
  if stomp_probe 127.0.0.1 "$RMQ_STOMP_PORT" guest guest /; then
    echo "rabbitmq: up on 127.0.0.1:$RMQ_STOMP_PORT"
  else
    echo "rabbitmq: down"; rc=1
  fi
  if stomp_probe 127.0.0.1 "$AMQ_STOMP_PORT" admin admin localhost; then
    echo "activemq: up on 127.0.0.1:$AMQ_STOMP_PORT"
  else
    echo "activemq: down"; rc=1
  fi
  return $rc
}

env_lines() {
  cat <<ENV
export STOMP_TEST_RABBITMQ=127.0.0.1:$RMQ_STOMP_PORT
export STOMP_TEST_ACTIVEMQ=127.0.0.1:$AMQ_STOMP_PORT
export STOMP_TEST_TLS_DIR=$(printf %q "$BROKERS_TLS_DIR")
export STOMP_TEST_RABBITMQ_TLS=127.0.0.1:$RMQ_STOMP_TLS_PORT
export STOMP_TEST_ACTIVEMQ_TLS=127.0.0.1:$AMQ_STOMP_TLS_PORT
export STOMP_TEST_RABBITMQ_WS=ws://127.0.0.1:$RMQ_WEBSTOMP_PORT/ws
ENV
}

case "${1-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  env) env_lines ;;
  *) echo "usage: $0 {start|stop|restart|status|env}" >&2; exit 2 ;;
esac
