#!/bin/sh
# The seed_ab_1000 case of `make bench`: our users' seed workload,
# `ab -n 1000 -c 1000` (Debian apache2-utils) against a service whose
# handler waits 10 ms on a timer before answering: cotel-hop
# (GET /hop?sleep_ms=10: a uv timer) and its Go peer go-hop (interop/go,
# net/http + otelhttp; time.Sleep in the handler goroutine), each untraced
# (--no-trace / -no-trace: no span, no extract) and traced (a sampled
# SERVER span, OTLP/HTTP export to cotel-bench-sink on 127.0.0.1). The four
# servers run side by side; AB_ROUNDS rounds (default 5) run ab against
# them in turn (interleaved), and the medians of p50, p95, p99 (ms, ab's
# "served within" table) and of requests/s are reported.
#
# usage: sh bench/ab.sh [BUILD_DIR]
# Output: BUILD_DIR/bench/seed_ab_1000.json ({"cases": [{"case":
# "seed_ab_1000", "impl": "cotel_untraced" | "cotel_traced" | "go_untraced"
# | "go_traced", "metric": "p50_ms" | "p95_ms" | "p99_ms" | "rps" |
# "failed", "value"}]}).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
OUT=$BUILD/bench
ROUNDS=${AB_ROUNDS:-5}
mkdir -p "$OUT"
rm -f "$OUT/seed_ab_1000.json"
say() { printf '%s\n' "$*"; }

if ! command -v ab >/dev/null 2>&1; then
  say "note: 'ab' is not installed (apache2-utils, scripts/deps.sh bench): no seed_ab_1000"
  exit 0
fi
HOP=$BUILD/bin/cotel-hop
SINK=$BUILD/bin/cotel-bench-sink
for t in cotel-hop cotel-bench-sink; do
  [ -x "$BUILD/bin/$t" ] || cmake --build "$BUILD" --target "$t" >/dev/null
done
[ -x "$HOP" ] && [ -x "$SINK" ] || {
  say "note: cotel-hop or cotel-bench-sink was not built: no seed_ab_1000" >&2
  exit 0
}
GOHOP=""
if command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ]; then
  GOHOP=$(sh "$ROOT/interop/go/build.sh" 2>/dev/null) || GOHOP=""
fi
[ -n "$GOHOP" ] || say "note: go-hop (interop/go) did not build: cotel-hop only"

# 1000 concurrent connections: ab and each server need more descriptors.
ulimit -n 8192 2>/dev/null || ulimit -n 4096 2>/dev/null || true

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cotel-ab.XXXXXX")
PIDS=""
cleanup() {
  for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
  for p in $PIDS; do wait "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

port_of() { # "listening on HOST:PORT" in $1
  i=0
  while [ $i -lt 200 ]; do
    p=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$1" 2>/dev/null)
    [ -n "$p" ] && { echo "$p"; return 0; }
    i=$((i + 1))
    sleep 0.05
  done
  return 1
}

"$SINK" >"$TMP/sink.out" 2>"$TMP/sink.err" &
PIDS="$!"
SINK_PORT=$(port_of "$TMP/sink.out") || { say "note: sink did not start"; exit 0; }
EXPORT="OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINK_PORT"

VARIANTS="cotel_untraced cotel_traced"
[ -n "$GOHOP" ] && VARIANTS="$VARIANTS go_untraced go_traced"
for v in $VARIANTS; do
  case $v in
    cotel_untraced)
      set -- env OTEL_SDK_DISABLED=true OTEL_PROPAGATORS=none \
        OTEL_TRACES_EXPORTER=none "$HOP" --no-trace --port 0 ;;
    cotel_traced)
      set -- env OTEL_TRACES_SAMPLER=parentbased_always_on \
        OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
        "$EXPORT" "$HOP" --port 0 ;;
    go_untraced) set -- env "$EXPORT" "$GOHOP" -no-trace -port 0 ;;
    go_traced) set -- env "$EXPORT" "$GOHOP" -port 0 ;;
  esac
  "$@" >"$TMP/$v.out" 2>"$TMP/$v.err" &
  PIDS="$! $PIDS"
  port=$(port_of "$TMP/$v.out") || {
    say "note: $v did not start: $(tail -n 2 "$TMP/$v.err")"
    exit 0
  }
  eval "PORT_$v=$port"
done

say "ab -n 1000 -c 1000 http://127.0.0.1:PORT/hop?sleep_ms=10, $ROUNDS rounds (median)"
for v in $VARIANTS; do # warm-up
  eval "port=\$PORT_$v"
  ab -q -n 200 -c 50 "http://127.0.0.1:$port/hop?sleep_ms=10" >/dev/null 2>&1
done
r=1
while [ "$r" -le "$ROUNDS" ]; do
  for v in $VARIANTS; do
    eval "port=\$PORT_$v"
    ab -q -r -s 30 -n 1000 -c 1000 "http://127.0.0.1:$port/hop?sleep_ms=10" \
      >"$TMP/ab" 2>&1
    awk -v v="$v" '
      /^Requests per second:/ { rps = $4 }
      /^Failed requests:/ { failed = $3 }
      /^Non-2xx responses:/ { failed += $3 }
      /^ *50% / { p50 = $2 }
      /^ *95% / { p95 = $2 }
      /^ *99% / { p99 = $2 }
      END { if (rps == "") { print v, "-", "-", "-", "-", "-"; exit }
            print v, p50, p95, p99, rps, failed + 0 }
    ' "$TMP/ab" >>"$TMP/runs"
    tail -n 1 "$TMP/runs" | awk '{ printf "  %-15s p50 %s ms  p95 %s ms  p99 %s ms  %s req/s  failed %s\n", $1, $2, $3, $4, $5, $6 }'
  done
  r=$((r + 1))
done

awk -v json="$OUT/seed_ab_1000.json" -v variants="$VARIANTS" '
  function median(arr, n,   i, j, t) {
    for (i = 2; i <= n; i++)
      for (j = i; j > 1 && arr[j - 1] > arr[j]; j--) {
        t = arr[j]; arr[j] = arr[j - 1]; arr[j - 1] = t
      }
    return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
  }
  $2 != "-" { k = ++cnt[$1]; for (m = 2; m <= 5; m++) val[$1, m, k] = $m
              failed[$1] += $6 }
  END {
    split("p50_ms p95_ms p99_ms rps", mname, " ")
    nv = split(variants, names, " ")
    printf "{\n  \"ab\": \"-n 1000 -c 1000, GET /hop?sleep_ms=10\",\n  \"cases\": [\n" > json
    first = 1
    for (i = 1; i <= nv; i++) {
      v = names[i]; n = cnt[v]
      if (!n) continue
      line = sprintf("seed_ab_1000 %-15s", v)
      for (m = 2; m <= 5; m++) {
        for (k = 1; k <= n; k++) a[k] = val[v, m, k]
        x = median(a, n)
        line = line sprintf("  %s %s", mname[m - 1], x)
        printf "%s    {\"case\": \"seed_ab_1000\", \"impl\": \"%s\", \"metric\": \"%s\", \"value\": %s}",
               first ? "" : ",\n", v, mname[m - 1], x > json
        first = 0
      }
      printf ",\n    {\"case\": \"seed_ab_1000\", \"impl\": \"%s\", \"metric\": \"failed\", \"value\": %d}",
             v, failed[v] > json
      print line "  failed " failed[v]
    }
    printf "\n  ]\n}\n" > json
  }
' "$TMP/runs"
say "results: $OUT/seed_ab_1000.json"
exit 0
