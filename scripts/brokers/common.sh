# Shared helpers for the broker scripts in scripts/brokers/. Source me (bash only).
# All broker state (data, logs, pid files, TLS material) lives under $BROKERS_ROOT.
: "${BROKERS_ROOT:=${TMPDIR:-/tmp}/stomp-brokers}"
: "${BROKERS_TLS_DIR:=$BROKERS_ROOT/tls}"

# stomp_probe HOST PORT [LOGIN] [PASSCODE] [VHOST]
# Opens a TCP connection, sends a STOMP CONNECT, returns 0 if the first line back is CONNECTED.
stomp_probe() {
  local host=$1 port=$2 login=${3-} pass=${4-} vhost=${5-} line=""
  local frame=$'CONNECT\naccept-version:1.0,1.1,1.2\n'
  [ -n "$vhost" ] && frame+="host:$vhost"$'\n'
  [ -n "$login" ] && frame+="login:$login"$'\n'"passcode:$pass"$'\n'
  frame+=$'\n'
  (
    exec 3<>"/dev/tcp/$host/$port" || exit 1
    printf '%s\0' "$frame" >&3
    IFS= read -r -t 3 line <&3 || exit 1
    printf 'DISCONNECT\n\n\0' >&3
    exec 3>&-
    [ "$line" = "CONNECTED" ]
  ) 2>/dev/null
}

# stomp_tls_probe HOST PORT [LOGIN] [PASSCODE] [VHOST]
# Like stomp_probe over TLS (openssl s_client, verifying the server against $BROKERS_TLS_DIR/ca.pem and
# presenting the test client certificate).
stomp_tls_probe() {
  local host=$1 port=$2 login=${3-} pass=${4-} vhost=${5-} out
  local frame=$'CONNECT\naccept-version:1.0,1.1,1.2\n'
  [ -n "$vhost" ] && frame+="host:$vhost"$'\n'
  [ -n "$login" ] && frame+="login:$login"$'\n'"passcode:$pass"$'\n'
  frame+=$'\n'
  out=$( { printf '%s\0' "$frame"; sleep 0.5; printf 'DISCONNECT\n\n\0'; sleep 0.2; } |
         timeout 5 openssl s_client -quiet -verify_return_error -connect "$host:$port" \
           -CAfile "$BROKERS_TLS_DIR/ca.pem" -cert "$BROKERS_TLS_DIR/client.pem" -key "$BROKERS_TLS_DIR/client.key" \
           2>/dev/null | head -1 | tr -d '\r')
  [ "$out" = "CONNECTED" ]
}

# wait_until TIMEOUT_S PID DESCRIPTION CMD...
# Runs CMD every 0.1 s until it succeeds (0), TIMEOUT_S passes (1) or PID (if non-empty) dies (2).
# Sets READY_SECS to the time it took.
wait_until() {
  local timeout=$1 pid=$2 what=$3 t0 now
  shift 3
  t0=$(date +%s%N)
  while :; do
    if "$@"; then
      now=$(date +%s%N)
      READY_SECS=$(awk -v a="$t0" -v b="$now" 'BEGIN{printf "%.2f", (b-a)/1e9}')
      return 0
    fi
    if [ -n "$pid" ] && ! pid_alive "$pid"; then
      echo "process $pid exited before $what was ready" >&2
      return 2
    fi
    now=$(date +%s%N)
    if [ $(( (now - t0) / 1000000000 )) -ge "$timeout" ]; then
      echo "timed out after ${timeout}s waiting for $what" >&2
      return 1
    fi
    sleep 0.1
  done
}

# wait_stomp TIMEOUT_S HOST PORT [LOGIN] [PASSCODE] [VHOST] [PID]
wait_stomp() {
  wait_until "$1" "${7-}" "STOMP on $2:$3" stomp_probe "$2" "$3" "${4-}" "${5-}" "${6-}"
}

# wait_stomp_tls TIMEOUT_S HOST PORT [LOGIN] [PASSCODE] [VHOST] [PID]
wait_stomp_tls() {
  wait_until "$1" "${7-}" "STOMP over TLS on $2:$3" stomp_tls_probe "$2" "$3" "${4-}" "${5-}" "${6-}"
}

# port_open HOST PORT -> 0 if something accepts connections there
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# port_free HOST PORT -> 0 if nothing listens there
port_free() {
  ! port_open "$1" "$2"
}

# pid_alive PID -> 0 if PID exists and is not a zombie. Processes started with setsid are reparented to
# PID 1 when the start script exits; a dead one stays a zombie until PID 1 reaps it, and kill -0 succeeds
# on zombies, so check the state instead.
pid_alive() {
  local st
  [ -n "${1-}" ] || return 1
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

# pid_matches PID PATTERN -> 0 if PID is alive and its command line contains PATTERN. Guards against a
# stale pid file whose PID has been reused by an unrelated process (e.g. after a machine was reused).
pid_matches() {
  local cmd
  pid_alive "$1" || return 1
  cmd=$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null) || return 1
  case "$cmd" in *"$2"*) return 0 ;; esac
  return 1
}

# pidfile_running FILE PATTERN -> 0 if FILE names a live process whose command line contains PATTERN.
pidfile_running() {
  [ -f "$1" ] && pid_matches "$(cat "$1")" "$2"
}

# stop_pid PID [TIMEOUT_S] [SIGNAL]: send SIGNAL (default TERM) to PID, wait, then KILL after timeout.
stop_pid() {
  local pid=$1 timeout=${2:-20} sig=${3:-TERM} i
  [ -n "$pid" ] || return 0
  pid_alive "$pid" || return 0
  kill "-$sig" "$pid" 2>/dev/null
  for ((i = 0; i < timeout * 20; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.05
  done
  echo "pid $pid still alive after ${timeout}s, sending KILL" >&2
  kill -KILL "$pid" 2>/dev/null
  for ((i = 0; i < 100; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.05
  done
  echo "pid $pid survived KILL" >&2
  return 1
}

# stop_pidfile FILE PATTERN [TIMEOUT_S] [SIGNAL]: stop the process named in FILE, but only if its command
# line still contains PATTERN (otherwise the pid file is stale and is just removed).
stop_pidfile() {
  local f=$1 pat=$2 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if pid_matches "$pid" "$pat"; then
    stop_pid "$pid" "${3:-20}" "${4:-TERM}" || return 1
  fi
  rm -f "$f"
}
