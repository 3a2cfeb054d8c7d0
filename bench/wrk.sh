#!/bin/sh
# DESIGN §7 "instrumented libuv HTTP server under wrk vs uninstrumented:
# <= 3% throughput loss". cotel-hop answers GET /hop (one SERVER span, a
# small JSON) in three variants, all started once and measured in turns:
#   uninstrumented  --no-trace, OTEL_SDK_DISABLED=true, OTEL_PROPAGATORS=none:
#                   no span, no extract, no context; the same handler/reply
#   otlp            default sampler (parentbased_always_on), W3C extract,
#                   batch processor, OTLP/HTTP protobuf to cotel-bench-sink
#                   on 127.0.0.1 (answers 200 at once, decodes nothing)
#   noexport        as otlp but OTEL_TRACES_EXPORTER=none: spans recorded,
#                   ended and dropped (no processor)
# Each variant gets a 2 s warm-up, then WRK_RUNS rounds of
# `wrk -t1 -c32 -d5s` in the order uninstrumented,otlp,noexport (so drift hits
# all three alike); the median req/s is reported. Nothing is pinned: wrk,
# the server, its batch thread and the sink share the machine's cores.
#
# usage: sh bench/wrk.sh [BUILD_DIR]
# env:   WRK_RUNS (default 5), WRK_DURATION (seconds, default 5),
#        WRK_CONNECTIONS (default 32)
# Output: lines "http_wrk_<variant>  <req/s>", the loss of otlp and noexport
# against uninstrumented, and BUILD_DIR/bench/wrk.json.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
OUT=$BUILD/bench
RUNS=${WRK_RUNS:-5}
DUR=${WRK_DURATION:-5}
CONNS=${WRK_CONNECTIONS:-32}
VARIANTS="uninstrumented otlp noexport"
mkdir -p "$OUT"
rm -f "$OUT/wrk.json"

say() { printf '%s\n' "$*"; }

if ! command -v wrk >/dev/null 2>&1; then
  say "note: 'wrk' is not installed (scripts/deps.sh bench): no HTTP server bench"
  exit 0
fi
HOP=$BUILD/bin/cotel-hop
SINK=$BUILD/bin/cotel-bench-sink
for t in cotel-hop cotel-bench-sink; do
  [ -x "$BUILD/bin/$t" ] || cmake --build "$BUILD" --target "$t" >/dev/null
done
if [ ! -x "$HOP" ] || [ ! -x "$SINK" ]; then
  say "note: $HOP or $SINK was not built: no HTTP server bench" >&2
  exit 0
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cotel-wrk.XXXXXX")
PIDS=""
cleanup() {
  for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
  for p in $PIDS; do wait "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Wait for "listening on HOST:PORT" (first stdout line) in $1; print PORT.
port_of() {
  i=0
  while [ $i -lt 100 ]; do
    p=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$1" 2>/dev/null)
    if [ -n "$p" ]; then
      echo "$p"
      return 0
    fi
    i=$((i + 1))
    sleep 0.05
  done
  return 1
}

# Total CPU ticks (user+system, all threads) of a process.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

"$SINK" >"$TMP/sink.out" 2>"$TMP/sink.err" &
SINK_PID=$!
PIDS="$SINK_PID"
SINK_PORT=$(port_of "$TMP/sink.out") || {
  say "note: cotel-bench-sink did not start: no HTTP server bench" >&2
  exit 0
}

for v in $VARIANTS; do
  case $v in
    uninstrumented)
      set -- env OTEL_SDK_DISABLED=true OTEL_PROPAGATORS=none \
        OTEL_TRACES_EXPORTER=none "$HOP" --no-trace ;;
    otlp)
      set -- env OTEL_SDK_DISABLED=false OTEL_PROPAGATORS=tracecontext,baggage \
        OTEL_TRACES_SAMPLER=parentbased_always_on OTEL_TRACES_EXPORTER=otlp \
        OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" "$HOP" ;;
    noexport)
      set -- env OTEL_SDK_DISABLED=false OTEL_PROPAGATORS=tracecontext,baggage \
        OTEL_TRACES_SAMPLER=parentbased_always_on OTEL_TRACES_EXPORTER=none \
        "$HOP" ;;
  esac
  "$@" --port 0 >"$TMP/$v.out" 2>"$TMP/$v.err" &
  eval "PID_$v=$!"
  PIDS="$! $PIDS"
  port=$(port_of "$TMP/$v.out") || {
    say "note: cotel-hop ($v) did not start: no HTTP server bench" >&2
    cat "$TMP/$v.err" >&2
    exit 0
  }
  eval "PORT_$v=$port"
done

say "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); nothing pinned"
say "wrk -t1 -c$CONNS -d${DUR}s http://127.0.0.1:PORT/hop, $RUNS rounds (median)"
for v in $VARIANTS; do
  eval "port=\$PORT_$v"
  wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:$port/hop" >/dev/null 2>&1
done

SINK_T0=$(ticks "$SINK_PID")
r=1
while [ "$r" -le "$RUNS" ]; do
  for v in $VARIANTS; do
    eval "port=\$PORT_$v; pid=\$PID_$v"
    t0=$(ticks "$pid")
    wrk -t1 -c"$CONNS" -d"${DUR}s" "http://127.0.0.1:$port/hop" >"$TMP/w" 2>&1
    t1=$(ticks "$pid")
    # rps, requests, non-2xx + socket errors, server cpu ticks
    awk -v v="$v" -v t="$((t1 - t0))" '
      /Requests\/sec:/ { rps = $2 }
      / requests in / { n = $1 }
      /Non-2xx/ { bad += $NF }
      /Socket errors:/ { gsub(/[^0-9 ]/, " "); split($0, e, " ");
                         for (i in e) bad += e[i] }
      END { printf "%s %s %s %d %s\n", v, rps + 0, n + 0, bad, t }
    ' "$TMP/w" >>"$TMP/runs"
    tail -n 1 "$TMP/runs" | awk '{ printf "  %-15s %10.0f req/s%s\n", $1, $2,
                                   $4 ? "  (" $4 " errors)" : "" }'
  done
  r=$((r + 1))
done
SINK_T1=$(ticks "$SINK_PID")
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

for v in $VARIANTS; do
  eval "pid=\$PID_$v"
  kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || say "note: cotel-hop ($v) exited with an error: $(tail -n 2 "$TMP/$v.err")"
done
kill -TERM "$SINK_PID" 2>/dev/null
wait "$SINK_PID" 2>/dev/null
PIDS=""

# Medians, losses, CPU per request, JSON.
awk -v hz="$(getconf CLK_TCK)" -v sink_ticks="$((SINK_T1 - SINK_T0))" \
  -v sink_line="$(cat "$TMP/sink.err")" -v load="$LOAD_END" \
  -v json="$OUT/wrk.json" -v conns="$CONNS" -v dur="$DUR" '
  function median(arr, n,   i, j, t) {
    for (i = 2; i <= n; i++)
      for (j = i; j > 1 && arr[j - 1] > arr[j]; j--) {
        t = arr[j]; arr[j] = arr[j - 1]; arr[j - 1] = t
      }
    return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
  }
  {
    k = ++cnt[$1]; rps[$1, k] = $2; reqs[$1] += $3; bad[$1] += $4
    cpu[$1] += $5; list[$1] = list[$1] (k > 1 ? ", " : "") sprintf("%.0f", $2)
  }
  END {
    split("uninstrumented otlp noexport", names, " ")
    for (i = 1; i <= 3; i++) {
      v = names[i]; n = cnt[v]
      for (k = 1; k <= n; k++) a[k] = rps[v, k]
      med[v] = median(a, n)
      us[v] = reqs[v] ? cpu[v] / hz * 1e6 / reqs[v] : 0
      printf "http_wrk_%-15s %10.0f req/s  (runs: %s; server cpu %.1f us/req)\n",
             v, med[v], list[v], us[v]
    }
    base = med["uninstrumented"]
    for (i = 2; i <= 3; i++) {
      v = names[i]
      loss[v] = base > 0 ? (base - med[v]) / base * 100 : 0
      printf "loss %-9s vs uninstrumented: %5.1f%%\n", v, loss[v]
    }
    errs = bad["uninstrumented"] + bad["otlp"] + bad["noexport"]
    holds = loss["otlp"] <= 3 && errs == 0
    printf "sink: %.2f s cpu during the runs (%s)\n", sink_ticks / hz, sink_line
    printf "load at the end: %s\n", load
    if (errs) printf "WARNING: %d non-2xx responses or socket errors\n", errs
    printf "DESIGN §7 target: instrumented (otlp) <= 3%% loss: %s\n",
           holds ? "holds" : "MISSED"
    printf "{\n  \"wrk\": \"-t1 -c%s -d%ss\",\n  \"load\": \"%s\",\n", conns, dur,
           load > json
    printf "  \"cases\": [\n" > json
    for (i = 1; i <= 3; i++) {
      v = names[i]
      printf "    {\"name\": \"http_wrk_%s\", \"unit\": \"req/s\", " \
             "\"median\": %.1f, \"runs\": [%s], \"server_cpu_us_per_req\": " \
             "%.2f, \"errors\": %d}%s\n", v, med[v], list[v], us[v], bad[v],
             i < 3 ? "," : "" > json
    }
    printf "  ],\n  \"loss_pct\": {\"otlp\": %.2f, \"noexport\": %.2f},\n",
           loss["otlp"], loss["noexport"] > json
    printf "  \"target_loss_pct\": 3,\n  \"target_holds\": %s\n}\n",
           holds ? "true" : "false" > json
  }
' "$TMP/runs"
say "results: $OUT/wrk.json"
exit 0
