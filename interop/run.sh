#!/bin/sh
# make interop: prove that what cotel sends is read correctly by real
# software (docs/interop.md).
#
# 1. Runs every interop/*/build.sh: the OpenTelemetry Collector and Jaeger
#    built from their Go modules, rotel from npm, the Go and Rust peer
#    services; each caches its result in $INTEROP_CACHE keyed by a hash of
#    its lock files, so a warm run builds nothing.
# 2. Starts, on 127.0.0.1 only and on free ports, the collector (OTLP in,
#    file exporter out), Jaeger v2 (memory storage) and rotel (forwarding
#    to the collector), and exports where they listen:
#      COLLECTOR_OTLP_HTTP COLLECTOR_OTLP_GRPC COLLECTOR_OUT
#      JAEGER_OTLP_HTTP JAEGER_OTLP_GRPC JAEGER_QUERY
#      ROTEL_OTLP_HTTP ROTEL_OTLP_GRPC
#      INTEROP_CACHE INTEROP_BIN INTEROP_ROOT INTEROP_WORK
#    (a *_ERROR variable instead when one of them did not start).
# 3. Runs, in name order, every executable interop/checks/*.sh (sh) and
#    *.py (python3). Each prints `ROW|<check>|<counts>|PASS` (or FAIL)
#    lines; everything else it prints is passed through.
# 4. Prints the summary table (one row per check) and exits non-zero if a
#    row failed, a check exited non-zero, or a check printed no row.
#
# Every process started here runs in its own process group and is killed
# on exit, whatever the exit path. Variables: INTEROP_BIN (default
# build/bin), INTEROP_CACHE (default ~/.cache/cotel-interop),
# INTEROP_CHECK_TIMEOUT (seconds per check, default 1800), INTEROP_KEEP=1
# (keep the work directory with the logs even when everything passed).
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
INTEROP_ROOT=$repo/interop
export INTEROP_ROOT
. "$INTEROP_ROOT/lib.sh"
interop_env
: "${INTEROP_BIN:=$repo/build/bin}"
export INTEROP_BIN
INTEROP_WORK=$(mktemp -d "${TMPDIR:-/tmp}/cotel-interop.XXXXXX")
export INTEROP_WORK
rows=$INTEROP_WORK/rows.txt
: >"$rows"

check_pgid="" tail_pid=""
run_cleanup() {
  [ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null
  [ -n "$check_pgid" ] && interop_kill_group "$check_pgid"
  interop_cleanup
}
trap 'run_cleanup' EXIT
trap 'exit 130' INT TERM

row() { # name counts PASS|FAIL
  printf 'ROW|%s|%s|%s\n' "$1" "$2" "$3" >>"$rows"
}

show_log() { # name: the last lines of a service's log
  echo "---- last lines of $INTEROP_WORK/$1.log ----"
  tail -n 30 "$INTEROP_WORK/$1.log" 2>/dev/null | cut -c1-300
  echo "----"
}

t_start=$(date +%s)
echo "interop: cache $INTEROP_CACHE, binaries $INTEROP_BIN, work $INTEROP_WORK"

# ---- 1. builds ----
built=""
build_failed=""
for b in "$INTEROP_ROOT"/*/build.sh; do
  [ -f "$b" ] || continue
  name=$(basename "$(dirname "$b")")
  t0=$(date +%s)
  if sh "$b"; then
    built="$built $name:$(($(date +%s) - t0))s"
  else
    build_failed="$build_failed $name"
    echo "interop: build of $name FAILED"
  fi
done
if [ -n "$build_failed" ]; then
  row "build" "failed:$build_failed" FAIL
else
  row "build" "${built# }" PASS
fi
t_built=$(date +%s)

# ---- 2. services ----
set -- $(interop_free_ports 8)
col_http=$1 col_grpc=$2 jae_http=$3 jae_grpc=$4 jae_query=$5 jae_query_grpc=$6 rotel_http=$7 rotel_grpc=$8

# The OpenTelemetry Collector: OTLP in, OTLP/JSON lines out.
COLLECTOR_OUT=$INTEROP_WORK/collector-out.jsonl
cat >"$INTEROP_WORK/collector.yaml" <<EOF
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:$col_http
      grpc:
        endpoint: 127.0.0.1:$col_grpc
exporters:
  file:
    path: $COLLECTOR_OUT
    format: json
    flush_interval: 100ms
service:
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [file]
EOF
collector_ok=false
collector=$(interop_collector_bin)
if [ -x "$collector" ]; then
  interop_start collector "$collector" --config "file:$INTEROP_WORK/collector.yaml"
  if interop_wait_port "$col_http" 60 "$(interop_pid_of collector)" &&
    interop_wait_port "$col_grpc" 10 "$(interop_pid_of collector)"; then
    collector_ok=true
  else
    show_log collector
  fi
fi
export COLLECTOR_OUT
export COLLECTOR_OTLP_HTTP="http://127.0.0.1:$col_http"
export COLLECTOR_OTLP_GRPC="http://127.0.0.1:$col_grpc"
if $collector_ok; then
  row "collector" "OpenTelemetry Collector v0.161.0 on 127.0.0.1:$col_http" PASS
else
  row "collector" "did not start" FAIL
  export COLLECTOR_ERROR="the collector did not start"
fi

# Jaeger v2: OTLP receivers, memory storage, query API; loopback only.
cat >"$INTEROP_WORK/jaeger.yaml" <<EOF
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    resource:
      service.name: jaeger
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:$jae_query
    grpc:
      endpoint: 127.0.0.1:$jae_query_grpc
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:$jae_http
      grpc:
        endpoint: 127.0.0.1:$jae_grpc
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
EOF
jaeger=$(interop_jaeger_bin)
if [ -x "$jaeger" ]; then
  interop_start jaeger "$jaeger" --config "$INTEROP_WORK/jaeger.yaml"
  if interop_wait_port "$jae_http" 60 "$(interop_pid_of jaeger)" &&
    interop_wait_port "$jae_query" 30 "$(interop_pid_of jaeger)"; then
    export JAEGER_OTLP_HTTP="http://127.0.0.1:$jae_http"
    export JAEGER_OTLP_GRPC="http://127.0.0.1:$jae_grpc"
    export JAEGER_QUERY="http://127.0.0.1:$jae_query"
  else
    show_log jaeger
    export JAEGER_ERROR="jaeger did not start (log: $INTEROP_WORK/jaeger.log)"
  fi
else
  export JAEGER_ERROR="jaeger was not built"
fi

# rotel (Rust): OTLP in, OTLP/gRPC out to the collector.
rotel=$(interop_rotel_bin)
if [ -x "$rotel" ]; then
  interop_start rotel "$rotel" start \
    --otlp-http-endpoint "127.0.0.1:$rotel_http" \
    --otlp-grpc-endpoint "127.0.0.1:$rotel_grpc" \
    --otlp-exporter-endpoint "http://127.0.0.1:$col_grpc" \
    --otlp-exporter-protocol grpc \
    --pid-file "$INTEROP_WORK/rotel.pid" --log-file "$INTEROP_WORK/rotel-agent.log"
  if interop_wait_port "$rotel_http" 30 "$(interop_pid_of rotel)"; then
    export ROTEL_OTLP_HTTP="http://127.0.0.1:$rotel_http"
    export ROTEL_OTLP_GRPC="http://127.0.0.1:$rotel_grpc"
  else
    show_log rotel
    export ROTEL_ERROR="rotel did not start (log: $INTEROP_WORK/rotel.log)"
  fi
else
  export ROTEL_ERROR="rotel was not installed"
fi

# ---- 3. checks ----
: "${INTEROP_CHECK_TIMEOUT:=1800}"
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
for f in $(ls "$INTEROP_ROOT"/checks/*.sh "$INTEROP_ROOT"/checks/*.py 2>/dev/null | sort); do
  name=$(basename "$f")
  case "$name" in
  *.sh) runner=sh ;;
  *) runner=python3 ;;
  esac
  if [ ! -x "$f" ]; then
    echo "interop: skipping $name (not executable)"
    continue
  fi
  echo
  echo "==== $name ===="
  log=$INTEROP_WORK/check-$name.log
  # The check runs in a process group of its own (whatever it leaves
  # running is killed when it returns), in the background so that a signal
  # to this script is handled at once; tail streams its output meanwhile.
  setsid timeout -k 10 "$INTEROP_CHECK_TIMEOUT" "$runner" "$f" >"$log" 2>&1 </dev/null &
  check_pgid=$!
  tail -s 0.2 -n +1 -f --pid="$check_pgid" "$log" &
  tail_pid=$!
  wait "$check_pgid"
  rc=$?
  wait "$tail_pid"
  interop_kill_group "$check_pgid"
  check_pgid="" tail_pid=""
  grep '^ROW|' "$log" >>"$rows" || true
  if ! grep -q '^ROW|' "$log"; then
    row "$name" "printed no result row (exit $rc)" FAIL
  elif [ "$rc" != 0 ] && ! grep -q '^ROW|.*|FAIL$' "$log"; then
    row "$name" "exited with status $rc" FAIL
  fi
done

# ---- 4. summary ----
t_end=$(date +%s)
echo
echo "==== interop summary ===="
awk -F'|' '
  { n++; name[n] = $2; counts[n] = $3; res[n] = $4
    if (length($2) > w1) w1 = length($2)
    if ($4 == "PASS") pass++; else fail++ }
  END {
    if (w1 < 5) w1 = 5
    fmt = "%-" w1 "s  %-6s  %s\n"
    printf fmt, "check", "result", "counts"
    for (i = 1; i <= n; i++) printf fmt, name[i], (res[i] == "PASS" ? "PASS" : "FAIL"), counts[i]
  }' "$rows"
pass=$(grep -c '|PASS$' "$rows")
total=$(wc -l <"$rows")
fail=$((total - pass))
echo "interop: builds $((t_built - t_start)) s, services and checks $((t_end - t_built)) s, total $((t_end - t_start)) s"
echo "interop: $pass passed, $fail failed"
interop_cleanup
if [ "$fail" -ne 0 ]; then
  echo "interop: logs kept in $INTEROP_WORK"
  exit 1
fi
if [ "${INTEROP_KEEP:-0}" = 1 ]; then
  echo "interop: logs kept in $INTEROP_WORK"
else
  rm -rf "$INTEROP_WORK"
fi
exit 0
