#!/bin/sh
# The http_hop case of `make bench` (DESIGN §7 "instrumented libuv HTTP
# server under wrk vs uninstrumented: <= 3% throughput loss"). cotel-hop
# answers GET /hop (one SERVER span, a small JSON) in four variants, all
# started once and measured in turns:
#   untraced          --no-trace, OTEL_SDK_DISABLED=true,
#                     OTEL_PROPAGATORS=none: no span, no extract, no
#                     context; the same handler/reply
#   traced            sampled (parentbased_always_on), W3C extract, batch
#                     processor, OTLP/HTTP protobuf to cotel-bench-sink on
#                     127.0.0.1 (answers 200 at once, decodes nothing)
#   traced_unsampled  as traced with OTEL_TRACES_SAMPLER=always_off:
#                     non-recording spans that still propagate, nothing
#                     exported
#   traced_noexport   as traced but OTEL_TRACES_EXPORTER=none: spans
#                     recorded, ended and dropped (no processor)
# Each variant gets a 2 s warm-up, then WRK_RUNS rounds of
# `wrk -t1 -c32 -d5s --latency` in the order above (so drift hits all
# alike); the medians of req/s and of the p99 latency are reported. Nothing
# is pinned: wrk, the server, its batch thread and the sink share the
# machine's cores.
#
# usage: sh bench/wrk.sh [BUILD_DIR]
# env:   WRK_RUNS (default 5), WRK_DURATION (seconds, default 5),
#        WRK_CONNECTIONS (default 32)
# Output: lines "http_hop <variant>  <req/s>  p99", the loss of each traced
# variant against untraced, and BUILD_DIR/bench/http_hop.json
# ({"cases": [{"case": "http_hop", "impl": <variant>, "metric": "rps" |
# "p99_ms" | "server_cpu_us_per_req" | "errors", "value"}]}).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
OUT=$BUILD/bench
RUNS=${WRK_RUNS:-5}
DUR=${WRK_DURATION:-5}
CONNS=${WRK_CONNECTIONS:-32}
VARIANTS="untraced traced traced_unsampled traced_noexport"
mkdir -p "$OUT"
rm -f "$OUT/http_hop.json"

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
    untraced)
      set -- env OTEL_SDK_DISABLED=true OTEL_PROPAGATORS=none \
        OTEL_TRACES_EXPORTER=none "$HOP" --no-trace ;;
    traced | traced_unsampled)
      sampler=parentbased_always_on
      [ "$v" = traced ] || sampler=always_off
      set -- env OTEL_SDK_DISABLED=false OTEL_PROPAGATORS=tracecontext,baggage \
        OTEL_TRACES_SAMPLER=$sampler OTEL_TRACES_EXPORTER=otlp \
        OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" "$HOP" ;;
    traced_noexport)
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
say "wrk -t1 -c$CONNS -d${DUR}s --latency http://127.0.0.1:PORT/hop, $RUNS rounds (median)"
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
    wrk -t1 -c"$CONNS" -d"${DUR}s" --latency "http://127.0.0.1:$port/hop" \
      >"$TMP/w" 2>&1
    t1=$(ticks "$pid")
    # rps, requests, non-2xx + socket errors, server cpu ticks, p99 ms
    awk -v v="$v" -v t="$((t1 - t0))" '
      function ms(x) {
        if (x ~ /us$/) return (x + 0) / 1000
        if (x ~ /ms$/) return x + 0
        if (x ~ /s$/) return (x + 0) * 1000
        return x + 0
      }
      /^ *99%/ { p99 = ms($2) }
      /Requests\/sec:/ { rps = $2 }
      / requests in / { n = $1 }
      /Non-2xx/ { bad += $NF }
      /Socket errors:/ { gsub(/[^0-9 ]/, " "); split($0, e, " ");
                         for (i in e) bad += e[i] }
      END { printf "%s %s %s %d %s %s\n", v, rps + 0, n + 0, bad, t, p99 + 0 }
    ' "$TMP/w" >>"$TMP/runs"
    tail -n 1 "$TMP/runs" | awk '{ printf "  %-17s %10.0f req/s  p99 %.2f ms%s\n",
                                   $1, $2, $6, $4 ? "  (" $4 " errors)" : "" }'
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
  -v json="$OUT/http_hop.json" -v conns="$CONNS" -v dur="$DUR" \
  -v variants="$VARIANTS" '
  function median(arr, n,   i, j, t) {
    for (i = 2; i <= n; i++)
      for (j = i; j > 1 && arr[j - 1] > arr[j]; j--) {
        t = arr[j]; arr[j] = arr[j - 1]; arr[j - 1] = t
      }
    return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
  }
  {
    k = ++cnt[$1]; rps[$1, k] = $2; reqs[$1] += $3; bad[$1] += $4
    cpu[$1] += $5; p99[$1, k] = $6
    list[$1] = list[$1] (k > 1 ? ", " : "") sprintf("%.0f", $2)
  }
  END {
    nv = split(variants, names, " ")
    printf "{\n  \"wrk\": \"-t1 -c%s -d%ss --latency\",\n  \"load\": \"%s\",\n",
           conns, dur, load > json
    printf "  \"cases\": [\n" > json
    for (i = 1; i <= nv; i++) {
      v = names[i]; n = cnt[v]
      for (k = 1; k <= n; k++) a[k] = rps[v, k]
      med[v] = median(a, n)
      for (k = 1; k <= n; k++) a[k] = p99[v, k]
      mp99[v] = median(a, n)
      us[v] = reqs[v] ? cpu[v] / hz * 1e6 / reqs[v] : 0
      printf "http_hop %-17s %10.0f req/s  p99 %.2f ms  (runs: %s; server cpu %.1f us/req)\n",
             v, med[v], mp99[v], list[v], us[v]
      printf "    {\"case\": \"http_hop\", \"impl\": \"%s\", \"metric\": \"rps\", \"value\": %.1f},\n", v, med[v] > json
      printf "    {\"case\": \"http_hop\", \"impl\": \"%s\", \"metric\": \"p99_ms\", \"value\": %.3f},\n", v, mp99[v] > json
      printf "    {\"case\": \"http_hop\", \"impl\": \"%s\", \"metric\": \"server_cpu_us_per_req\", \"value\": %.2f},\n", v, us[v] > json
      printf "    {\"case\": \"http_hop\", \"impl\": \"%s\", \"metric\": \"errors\", \"value\": %d}%s\n", v, bad[v], i < nv ? "," : "" > json
      errs += bad[v]
    }
    printf "  ]\n}\n" > json
    base = med["untraced"]
    for (i = 2; i <= nv; i++) {
      v = names[i]
      loss[v] = base > 0 ? (base - med[v]) / base * 100 : 0
      printf "loss %-17s vs untraced: %5.1f%%\n", v, loss[v]
    }
    printf "sink: %.2f s cpu during the runs (%s)\n", sink_ticks / hz, sink_line
    printf "load at the end: %s\n", load
    if (errs) printf "WARNING: %d non-2xx responses or socket errors\n", errs
    printf "target: traced (sampled, OTLP export) <= 3%% loss: %s\n",
           loss["traced"] <= 3 && errs == 0 ? "holds" : "MISSED"
  }
' "$TMP/runs"
say "results: $OUT/http_hop.json"
exit 0
