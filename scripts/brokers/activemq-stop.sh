#!/bin/bash
# Stop the ActiveMQ started by activemq-start.sh (SIGTERM -> JVM shutdown hook stops the broker cleanly),
# by PID, checked against the command line. Idempotent.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
: "${AMQ_BASE:=$BROKERS_ROOT/activemq}"
stop_pidfile "$AMQ_BASE/activemq.pid" activemq.jar 30 TERM && echo "activemq stopped"
