#!/usr/bin/env bash
# Starts the interop hop services (cotel-hop, go-hop, rust-hop) on free
# 127.0.0.1 ports, exporting to the collector at $COLLECTOR_OTLP_HTTP.
#
#   source interop/peers.sh
#   peer_start go go-a && url=$PEER_URL   # also sets PEER_LAST_PID, PEER_PIDS
#   peer_stop_all
# or, from another program (the checks):
#   interop/peers.sh start KIND SERVICE   -> prints "PID URL" (the service
#                                            stays running; stop it by PID)
#   interop/peers.sh bin KIND             -> prints the binary's path
# KIND is c, go or rust. Each service prints "listening on 127.0.0.1:PORT"
# first; we wait for that line (bounded) and answer http://127.0.0.1:PORT/hop.
# Short batch delays make the collector see spans soon after a request.

PEER_PIDS=()
PEERS_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

peer_bin() {
  case $1 in
    c) echo "${INTEROP_BIN:-$PEERS_HERE/../build/bin}/cotel-hop" ;;
    # build.sh answers at once from the cache (run.sh built it first).
    go | rust) sh "$PEERS_HERE/$1/build.sh" | tail -n 1 ;;
    *) echo "peers.sh: unknown kind '$1' (c, go, rust)" >&2; return 2 ;;
  esac
}

# peer_start KIND SERVICE: sets PEER_URL (its /hop URL) and PEER_LAST_PID,
# and adds the PID to PEER_PIDS. Not in $(...): the PIDs would be lost.
peer_start() {
  local kind=$1 name=$2 bin log
  bin=$(peer_bin "$kind") || return 1
  [[ -x $bin ]] || { echo "peers.sh: no binary $bin" >&2; return 1; }
  : "${COLLECTOR_OTLP_HTTP:?peers.sh: COLLECTOR_OTLP_HTTP is not set}"
  log=$(mktemp "${TMPDIR:-/tmp}/peer-$name.XXXXXX")
  # cotel hops export over OTLP/gRPC when COTEL_HOP_OTLP_PROTOCOL=grpc
  # (checks/chains.py); every other peer, and cotel by default, over HTTP.
  local endpoint=$COLLECTOR_OTLP_HTTP protocol=http/protobuf
  if [[ $kind == c && ${COTEL_HOP_OTLP_PROTOCOL:-} == grpc ]]; then
    endpoint=${COLLECTOR_OTLP_GRPC:?peers.sh: COLLECTOR_OTLP_GRPC is not set}
    protocol=grpc
  fi
  OTEL_TRACES_EXPORTER=otlp \
    OTEL_EXPORTER_OTLP_ENDPOINT=$endpoint \
    OTEL_EXPORTER_OTLP_PROTOCOL=$protocol \
    OTEL_PROPAGATORS=tracecontext,baggage \
    OTEL_BSP_SCHEDULE_DELAY=${OTEL_BSP_SCHEDULE_DELAY:-200} \
    OTEL_BSP_MAX_QUEUE_SIZE=${OTEL_BSP_MAX_QUEUE_SIZE:-65536} \
    OTEL_SERVICE_NAME= OTEL_RESOURCE_ATTRIBUTES= \
    "$bin" --port 0 --service "$name" >"$log" 2>"$log.err" </dev/null &
  local pid=$! i line
  PEER_PIDS+=("$pid")
  PEER_LAST_PID=$pid
  for ((i = 0; i < 300; i++)); do
    line=$(head -n 1 "$log" 2>/dev/null)
    if [[ $line == "listening on "* ]]; then
      PEER_URL="http://${line#listening on }/hop"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "peers.sh: $name ($bin) did not start:" >&2
  cat "$log" "$log.err" >&2
  kill "$pid" 2>/dev/null
  return 1
}

# SIGTERM lets each service flush its batch processor before exiting.
peer_stop_all() {
  local pid i
  for pid in "${PEER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PEER_PIDS[@]}"; do
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
  done
  PEER_PIDS=()
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  case ${1:-} in
    start)
      peer_start "$2" "$3" || exit 1
      echo "$PEER_LAST_PID $PEER_URL"
      ;;
    bin) peer_bin "$2" ;;
    *) echo "usage: $0 start KIND SERVICE | bin KIND" >&2; exit 2 ;;
  esac
fi
