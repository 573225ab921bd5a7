#!/usr/bin/env bash
# The local single-node Apache Kafka broker (KRaft, broker+controller in one JVM) for development
# and integration tests, assembled from the org.apache.kafka:kafka_2.13 jars on Maven Central.
#
#   deploy/local/kafka.sh start | stop | status | logs [N|-f] | reset
#
# Needs: java 17+, mvn (first start only: fetches the jars once), python3 (stdlib readiness probe).
# Settings (environment variables, all optional) are listed in deploy/local/README.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

KAFKA_HOME_DIR="${KAFKA_HOME_DIR:-$HERE/.kafka}"
mkdir -p "$KAFKA_HOME_DIR"
KAFKA_HOME_DIR="$(cd "$KAFKA_HOME_DIR" && pwd)"
# Jars are shared by every KAFKA_HOME_DIR (a restart test with its own data dir downloads nothing).
KAFKA_LIBS_DIR="${KAFKA_LIBS_DIR:-$HERE/.kafka/libs}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_SASL="${KAFKA_SASL:-0}"
KAFKA_SASL_PORT="${KAFKA_SASL_PORT:-19094}"
KAFKA_SASL_USER="${KAFKA_SASL_USER:-enricher}"
KAFKA_SASL_PASSWORD="${KAFKA_SASL_PASSWORD:-enricher-secret}"
# Modest heap: the machine has 2 cores and the tests run beside the broker.
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
PYTHON="${KAFKA_PROBE_PYTHON:-python3}"
# Class-data sharing: the first broker run records the classes it loaded into an archive; later
# starts map it and need about half the CPU (measured 5.3 s vs 9.1 s of CPU on a busy 2-core box).
KAFKA_CDS="${KAFKA_CDS:-1}"
if [[ -n "${JAVA_HOME:-}" ]]; then JAVA="$JAVA_HOME/bin/java"; else JAVA="java"; fi

DATA_DIR="$KAFKA_HOME_DIR/data"
CONFIG="$KAFKA_HOME_DIR/server.properties"
CLUSTER_ID_FILE="$KAFKA_HOME_DIR/cluster.id"
FORMAT_FILE="$KAFKA_HOME_DIR/format.env"    # what the storage was formatted with
RUNNING_FILE="$KAFKA_HOME_DIR/running.env"  # the settings of the broker now running
PID_FILE="$KAFKA_HOME_DIR/broker.pid"
LOG_FILE="$KAFKA_HOME_DIR/broker.log"

say() { echo "kafka.sh: $*"; }
die() { echo "kafka.sh: error: $*" >&2; exit 1; }

kafka_version() {
  sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/pom.xml" | head -n 1
}

# Serialize start/stop/reset: two test sessions may call `start` at the same moment.
take_lock() {
  exec 9>"$KAFKA_HOME_DIR/.lock"
  flock -w 120 9 || die "another kafka.sh holds $KAFKA_HOME_DIR/.lock"
}

# --- jars -----------------------------------------------------------------------------------

ensure_libs() {
  local want tmp
  # The marker names the version and the pom's hash: editing the pom refetches.
  want="kafka=$(kafka_version) pom=$(sha256sum "$HERE/pom.xml" | cut -c1-16)"
  if [[ -f "$KAFKA_LIBS_DIR/.version" && "$(cat "$KAFKA_LIBS_DIR/.version")" == "$want" ]]; then
    return
  fi
  command -v mvn >/dev/null || die "mvn not found (needed once, to fetch the Kafka jars)"
  say "fetching Kafka $(kafka_version) jars from Maven Central into $KAFKA_LIBS_DIR"
  mkdir -p "$(dirname "$KAFKA_LIBS_DIR")"
  # Download next to the target and move into place, so an interrupted fetch leaves no half set.
  tmp="$(mktemp -d "$(dirname "$KAFKA_LIBS_DIR")/libs.tmp.XXXXXX")"
  if ! mvn -q -B -f "$HERE/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >"$KAFKA_HOME_DIR/mvn.log" 2>&1; then
    cat "$KAFKA_HOME_DIR/mvn.log" >&2
    rm -rf "$tmp"
    die "mvn could not fetch the Kafka jars (output above, also in $KAFKA_HOME_DIR/mvn.log)"
  fi
  echo "$want" >"$tmp/.version"
  rm -rf "$KAFKA_LIBS_DIR"
  mv "$tmp" "$KAFKA_LIBS_DIR"
}

JAVA_RUNTIME_VERSION=""
check_java() {
  local props v
  props="$("$JAVA" -XshowSettings:properties -version 2>&1)" || die "java not found (Java 17+ is needed)"
  v="$(sed -n 's/^ *java.specification.version = //p' <<<"$props")"
  [[ -n "$v" ]] || die "java not found (Java 17+ is needed)"
  (( ${v%%.*} >= 17 )) || die "Java $v found; Kafka 4 needs Java 17+"
  JAVA_RUNTIME_VERSION="$(sed -n 's/^ *java.runtime.version = //p' <<<"$props" | tr -c 'A-Za-z0-9.\n' '_')"
}

# JVM options for the class-data-sharing archive (tied to the jars and to the exact JVM).
CDS_DUMP=""
cds_opts() {
  local archive="$KAFKA_LIBS_DIR/cds-$JAVA_RUNTIME_VERSION.jsa"
  [[ "$KAFKA_CDS" == 1 ]] || return 0
  if [[ -s "$archive" ]]; then
    echo "-XX:SharedArchiveFile=$archive"
  else
    # Dumped when the JVM exits; `stop` moves it into place (never two writers on one file).
    echo "-XX:ArchiveClassesAtExit=$archive.tmp.$$"
  fi
}

# --- configuration and storage --------------------------------------------------------------

# Escape a value for the replacement side of a sed s|||.
sed_escape() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }

check_settings() {
  local p
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$KAFKA_SASL_PORT"; do
    [[ "$p" =~ ^[0-9]{1,5}$ ]] || die "bad port: $p"
  done
  # The user and password go into a JAAS string and into StorageTool's --add-scram list.
  [[ "$KAFKA_SASL_USER" =~ ^[A-Za-z0-9._-]{1,64}$ ]] || die "KAFKA_SASL_USER: use [A-Za-z0-9._-]"
  [[ "$KAFKA_SASL_PASSWORD" =~ ^[A-Za-z0-9._~@%+:-]{1,128}$ ]] \
    || die "KAFKA_SASL_PASSWORD: use [A-Za-z0-9._~@%+:-]"
}

render_config() {
  local sasl_listener="" sasl_advertised=""
  if [[ "$KAFKA_SASL" == 1 ]]; then
    sasl_listener=",SASL_PLAINTEXT://127.0.0.1:$KAFKA_SASL_PORT"
    sasl_advertised="$sasl_listener"
  fi
  {
    sed -e "s|@PORT@|$KAFKA_PORT|g" \
        -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
        -e "s|@SASL_LISTENER@|$sasl_listener|g" \
        -e "s|@SASL_ADVERTISED@|$sasl_advertised|g" \
        -e "s|@DATA_DIR@|$(sed_escape "$DATA_DIR")|g" \
        "$HERE/server.properties.template"
    if [[ "$KAFKA_SASL" == 1 ]]; then
      echo
      sed -e "s|@SASL_PORT@|$KAFKA_SASL_PORT|g" \
          -e "s|@SASL_USER@|$(sed_escape "$KAFKA_SASL_USER")|g" \
          -e "s|@SASL_PASSWORD@|$(sed_escape "$KAFKA_SASL_PASSWORD")|g" \
          "$HERE/sasl.properties.template"
    fi
  } >"$CONFIG.tmp"
  mv "$CONFIG.tmp" "$CONFIG"
}

new_cluster_id() {
  # A Kafka Uuid: 16 random bytes, base64url without padding; like Kafka, avoid a leading '-'
  # (the id would read as a command-line option).
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* ]] && break
  done
  echo "$id"
}

password_digest() { printf '%s' "$1" | sha256sum | cut -c1-16; }

format_storage_if_needed() {
  local cluster_id
  if [[ -f "$DATA_DIR/meta.properties" ]]; then
    # The controller endpoint is written into the quorum at format time, and the SCRAM
    # credentials into the metadata log: both are fixed for this data dir.
    # shellcheck disable=SC1090
    source "$FORMAT_FILE"
    [[ "$FORMAT_CONTROLLER_PORT" == "$KAFKA_CONTROLLER_PORT" ]] \
      || die "storage was formatted with KAFKA_CONTROLLER_PORT=$FORMAT_CONTROLLER_PORT; use it or 'reset'"
    if [[ "$KAFKA_SASL" == 1 && ( "$FORMAT_SASL_USER" != "$KAFKA_SASL_USER" \
          || "$FORMAT_SASL_PASSWORD_DIGEST" != "$(password_digest "$KAFKA_SASL_PASSWORD")" ) ]]; then
      die "SCRAM credentials were created for user '$FORMAT_SASL_USER' with another password; use them or 'reset'"
    fi
    return
  fi
  if [[ ! -s "$CLUSTER_ID_FILE" ]]; then
    new_cluster_id >"$CLUSTER_ID_FILE"
  fi
  cluster_id="$(cat "$CLUSTER_ID_FILE")"
  say "formatting $DATA_DIR (cluster id $cluster_id)"
  rm -rf "$DATA_DIR"
  # SCRAM users are always created (cheap), so the same data serves with or without KAFKA_SASL=1.
  "$JAVA" -Xmx256m -Dlog4j2.configurationFile="$HERE/log4j2.properties" -cp "$KAFKA_LIBS_DIR/*" \
    kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$CONFIG" \
    --add-scram "SCRAM-SHA-256=[name=$KAFKA_SASL_USER,password=$KAFKA_SASL_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=$KAFKA_SASL_USER,password=$KAFKA_SASL_PASSWORD]" \
    >"$KAFKA_HOME_DIR/format.log" 2>&1 \
    || { cat "$KAFKA_HOME_DIR/format.log" >&2; die "StorageTool format failed"; }
  {
    echo "FORMAT_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT"
    echo "FORMAT_SASL_USER=$KAFKA_SASL_USER"
    echo "FORMAT_SASL_PASSWORD_DIGEST=$(password_digest "$KAFKA_SASL_PASSWORD")"
  } >"$FORMAT_FILE"
}

# --- process --------------------------------------------------------------------------------

broker_pid() {
  # The pid from the pid file, only if that process is still our broker (pids get reused).
  local pid
  [[ -f "$PID_FILE" ]] || return 1
  pid="$(cat "$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $CONFIG" || return 1
  echo "$pid"
}

running_port() {
  # The PLAINTEXT port of the running broker (it may differ from this shell's KAFKA_PORT).
  if [[ -f "$RUNNING_FILE" ]]; then sed -n 's/^RUNNING_PORT=//p' "$RUNNING_FILE"; else echo "$KAFKA_PORT"; fi
}

probe() {
  local cid=()
  [[ -s "$CLUSTER_ID_FILE" ]] && cid=(--cluster-id "$(cat "$CLUSTER_ID_FILE")")
  "$PYTHON" "$HERE/probe.py" "127.0.0.1:$1" --timeout 2 "${cid[@]}"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

log_tail() {
  echo "---- last lines of $LOG_FILE ----" >&2
  tail -n "${1:-40}" "$LOG_FILE" >&2 || true
}

wait_ready() {
  # Poll until the broker answers a metadata request; $3 = start time in ms since the epoch.
  local pid="$1" port="$2" started_ms="$3" elapsed_ms
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log_tail 40
      finish_cds_dump 1
      rm -f "$PID_FILE" "$RUNNING_FILE"
      die "the broker exited during start-up"
    fi
    elapsed_ms=$(( $(date +%s%3N) - started_ms ))
    if probe "$port" >/dev/null 2>&1; then
      say "ready on 127.0.0.1:$port (pid $pid) after $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s"
      echo "RUNNING_READY=1" >>"$RUNNING_FILE"
      return 0
    fi
    if (( elapsed_ms >= KAFKA_START_TIMEOUT * 1000 )); then
      log_tail 40
      say "not ready ${KAFKA_START_TIMEOUT} s after launch; stopping pid $pid" >&2
      stop_pid "$pid"
      die "start timed out"
    fi
    sleep 0.2
  done
}

stop_pid() {
  local pid="$1" waited=0 killed=0
  kill -TERM "$pid" 2>/dev/null || return 0
  # Controlled shutdown of a single node takes a few seconds.
  while kill -0 "$pid" 2>/dev/null; do
    if (( waited >= KAFKA_STOP_TIMEOUT * 5 )); then
      say "pid $pid still alive after ${KAFKA_STOP_TIMEOUT} s: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      killed=1
      sleep 0.5
      break
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  finish_cds_dump "$killed"
  rm -f "$PID_FILE" "$RUNNING_FILE"
}

finish_cds_dump() {
  # Keep the archive only from a broker that got ready (it then holds the start-up classes)
  # and exited by itself ($1 = 1 when it was killed: the archive may be half written).
  local dump ready
  dump="$(sed -n 's/^RUNNING_CDS_DUMP=//p' "$RUNNING_FILE" 2>/dev/null || true)"
  ready="$(sed -n 's/^RUNNING_READY=//p' "$RUNNING_FILE" 2>/dev/null || true)"
  [[ -n "$dump" ]] || return 0
  if [[ "$1" == 0 && "$ready" == 1 && -s "$dump" && ! -e "${dump%.tmp.*}" ]]; then
    mv -f "$dump" "${dump%.tmp.*}"
    say "saved the class-data-sharing archive for faster starts"
  else
    rm -f "$dump"
  fi
}

# --- commands -------------------------------------------------------------------------------

cmd_start() {
  local pid started launched elapsed_ms p
  check_settings
  take_lock
  started="$(date +%s%3N)"
  if pid="$(broker_pid)"; then
    # shellcheck disable=SC1090
    source "$RUNNING_FILE"
    if [[ "$RUNNING_PORT" != "$KAFKA_PORT" || "$RUNNING_SASL" != "$KAFKA_SASL" \
          || ( "$KAFKA_SASL" == 1 && "$RUNNING_SASL_PORT" != "$KAFKA_SASL_PORT" ) ]]; then
      die "already running (pid $pid) with KAFKA_PORT=$RUNNING_PORT KAFKA_SASL=$RUNNING_SASL; 'stop' first"
    fi
    if probe "$KAFKA_PORT" >/dev/null 2>&1; then
      say "already running on 127.0.0.1:$KAFKA_PORT (pid $pid)"
      return 0
    fi
    wait_ready "$pid" "$KAFKA_PORT" "$started"
    return 0
  fi
  # A broker that died on its own left its run files: clear them (and any half archive).
  [[ -f "$RUNNING_FILE" ]] && { finish_cds_dump 1; rm -f "$PID_FILE" "$RUNNING_FILE"; }
  check_java
  ensure_libs
  render_config
  format_storage_if_needed
  # Checked last, just before the launch (fetching jars can take a minute).
  local ports=("$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT")
  [[ "$KAFKA_SASL" == 1 ]] && ports+=("$KAFKA_SASL_PORT")
  for p in "${ports[@]}"; do
    if port_in_use "$p"; then
      die "port $p is in use by another process (not the broker of $KAFKA_HOME_DIR)"
    fi
  done
  [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"
  local cds
  cds="$(cds_opts)"
  [[ "$cds" == *ArchiveClassesAtExit=* ]] && CDS_DUMP="${cds#*=}"
  launched="$(date +%s%3N)"
  # setsid: the broker outlives the shell (and the test session) that started it.
  # Heap and CDS options are word lists on purpose.
  # shellcheck disable=SC2086
  setsid nohup "$JAVA" $KAFKA_HEAP_OPTS $cds \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$HERE/log4j2.properties" \
    -cp "$KAFKA_LIBS_DIR/*" kafka.Kafka "$CONFIG" >"$LOG_FILE" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"
  {
    echo "RUNNING_PORT=$KAFKA_PORT"
    echo "RUNNING_SASL=$KAFKA_SASL"
    echo "RUNNING_SASL_PORT=$KAFKA_SASL_PORT"
    echo "RUNNING_CDS_DUMP=$CDS_DUMP"
  } >"$RUNNING_FILE"
  say "starting Kafka $(kafka_version) (pid $pid), log: $LOG_FILE"
  wait_ready "$pid" "$KAFKA_PORT" "$launched"
  elapsed_ms=$(( $(date +%s%3N) - started ))
  say "start took $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s in all (jars, format, JVM)"
  [[ "$KAFKA_SASL" == 1 ]] && say "SASL_PLAINTEXT on 127.0.0.1:$KAFKA_SASL_PORT (PLAIN, SCRAM-SHA-256/512; user $KAFKA_SASL_USER)"
  return 0
}

cmd_stop() {
  local pid
  take_lock
  if ! pid="$(broker_pid)"; then
    rm -f "$PID_FILE" "$RUNNING_FILE"
    say "not running"
    return 0
  fi
  say "stopping pid $pid"
  stop_pid "$pid"
  say "stopped"
}

cmd_status() {
  local pid port info
  if ! pid="$(broker_pid)"; then
    say "not running ($KAFKA_HOME_DIR)"
    return 3
  fi
  port="$(running_port)"
  if info="$(probe "$port" 2>&1)"; then
    say "running: pid $pid, bootstrap 127.0.0.1:$port, Kafka $(kafka_version), $info"
    return 0
  fi
  say "pid $pid is alive but 127.0.0.1:$port does not answer: $info"
  return 1
}

cmd_logs() {
  [[ -f "$LOG_FILE" ]] || die "no log yet: $LOG_FILE"
  if [[ "${1:-}" == "-f" ]]; then exec tail -n 50 -F "$LOG_FILE"; fi
  tail -n "${1:-100}" "$LOG_FILE"
}

cmd_reset() {
  # Stop and delete the broker's data, config and cluster id; keep the downloaded jars.
  cmd_stop
  rm -rf "${DATA_DIR:?}" "$CONFIG" "$CLUSTER_ID_FILE" "$FORMAT_FILE" "$RUNNING_FILE" \
    "$LOG_FILE" "$LOG_FILE.1" "$KAFKA_HOME_DIR/format.log"
  say "reset $KAFKA_HOME_DIR (jars kept in $KAFKA_LIBS_DIR)"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  reset) cmd_reset ;;
  *) echo "usage: $0 start|stop|status|logs [N|-f]|reset" >&2; exit 2 ;;
esac
