#!/bin/bash
# Stop the RabbitMQ started by rabbitmq-start.sh: SIGTERM to the wrapper shell, which forwards it to
# beam.smp (graceful shutdown), then stop our own epmd. Everything by PID (checked against the command
# line, so a stale pid file never kills an unrelated process). Idempotent.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
. "$HERE/rabbitmq-env.sh"
rc=0
stop_pidfile "$RMQ_BASE/server.pid" rabbitmq 30 TERM || rc=1
# belt and braces: if beam.smp somehow outlived the wrapper, stop it too
stop_pidfile "$RMQ_BASE/beam.pid" beam 15 TERM || rc=1
stop_pidfile "$RMQ_BASE/epmd.pid" epmd 5 TERM || rc=1
[ "$rc" = 0 ] && echo "rabbitmq stopped"
exit $rc
