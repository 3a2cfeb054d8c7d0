#!/bin/sh
# `make bench`: cotel's C benchmarks next to opentelemetry-go and
# opentelemetry-rust running the same workload (docs/bench.md), in
# interleaved rounds (C, Go, Rust, C, Go, Rust, ...), then the services
# (cotel-hop under wrk, the `ab -n 1000 -c 1000` seed workload), one
# combined build/bench/results.json, a table and an SVG chart.
#
# usage: sh scripts/bench.sh [BUILD_DIR]
# env:   BENCH_QUICK=1 (the same cases, fewer rounds and shorter runs:
#                       under 3 minutes once the peers are built)
#        BENCH_ROUNDS (interleaved rounds, default 7, quick 5)
#        BENCH_RUNS (timed runs per case per round, default 3, quick 1)
#        BENCH_SCALE (multiplies iteration counts, default 1, quick 0.25)
#        BENCH_PEERS=0 (C only: skip Go and Rust)
#        BENCH_OTLP_EXPORT=0 (skip the OTLP/HTTP+gRPC export bench; quick skips it)
#        BENCH_WRK=0 (skip bench/wrk.sh), BENCH_AB=0 (skip bench/ab.sh)
#        BENCH_HTTP=0 (skip cotel-bench-http), BENCH_NGINX=0 (skip bench/nginx.sh)
# Results: BUILD_DIR/bench/results.json (+ results.md, chart.svg,
# rounds/*.json). The Rust build is cached in ~/.cache/cotel-bench/rust-target;
# Go uses its own build cache.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
OUT=$BUILD/bench
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
  ROUNDS=${BENCH_ROUNDS:-5}
  RUNS=${BENCH_RUNS:-1}
  SCALE=${BENCH_SCALE:-0.25}
  : "${BENCH_OTLP_EXPORT:=0}"
  : "${WRK_RUNS:=3}" "${WRK_DURATION:=2}"
  export WRK_RUNS WRK_DURATION
else
  ROUNDS=${BENCH_ROUNDS:-7}
  RUNS=${BENCH_RUNS:-3}
  SCALE=${BENCH_SCALE:-1}
fi
mkdir -p "$OUT"
rm -rf "$OUT/rounds"
mkdir -p "$OUT/rounds"
rm -f "$OUT/results.json" "$OUT/http_hop.json" "$OUT/seed_ab_1000.json" "$OUT/memory.json" \
  "$OUT/otlp.json" "$OUT/chart.svg"

say() { printf '%s\n' "$*"; }
hr() { say "== $* =="; }
START=$(date +%s)

# ---- build ----
CBENCH=$BUILD/bin/cotel-bench-spans
if [ ! -x "$CBENCH" ]; then
  cmake --build "$BUILD" --target cotel-bench-spans >/dev/null || true
fi
if [ ! -x "$CBENCH" ]; then
  say "bench: $CBENCH was not built (run 'make build' first)" >&2
  exit 1
fi

GOBENCH=""
RSBENCH=""
if [ "${BENCH_PEERS:-1}" != 0 ]; then
  if command -v go >/dev/null 2>&1; then
    hr "building bench/go (opentelemetry-go)"
    if (cd "$ROOT/bench/go" && GOFLAGS=-mod=mod go build -o "$OUT/cotel-bench-go" .); then
      GOBENCH=$OUT/cotel-bench-go
    else
      say "note: the Go benchmark did not build; continuing without it"
    fi
  else
    say "note: 'go' is not installed; continuing without opentelemetry-go"
  fi
  if command -v cargo >/dev/null 2>&1; then
    hr "building bench/rust (opentelemetry-rust)"
    RSTARGET=${CARGO_TARGET_DIR:-$HOME/.cache/cotel-bench/rust-target}
    mkdir -p "$RSTARGET"
    if CARGO_TARGET_DIR=$RSTARGET cargo build --release --quiet \
        --manifest-path "$ROOT/bench/rust/Cargo.toml"; then
      RSBENCH=$RSTARGET/release/cotel-bench-rust
    else
      say "note: the Rust benchmark did not build; continuing without it"
    fi
  else
    say "note: 'cargo' is not installed; continuing without opentelemetry-rust"
  fi
fi

# ---- interleaved rounds ----
say ""
say "machine: $(nproc) cores, $(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg)"
say "$ROUNDS rounds of C, Go, Rust; each case: median of $RUNS runs per round,"
say "then the median over rounds (allocs: the maximum window)"
LOAD=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
if awk -v l="$LOAD" -v n="$(nproc)" 'BEGIN { exit !(l > n * 0.75) }'; then
  say "WARNING: load $LOAD on $(nproc) cores: wall times are inflated (thread"
  say "         CPU times much less so; read those)"
fi
r=1
while [ $r -le "$ROUNDS" ]; do
  hr "round $r/$ROUNDS: cotel (C)"
  "$CBENCH" --runs "$RUNS" --scale "$SCALE" --json "$OUT/rounds/cotel-$r.json" || {
    say "bench: the C benchmark failed" >&2
    exit 1
  }
  if [ -n "$GOBENCH" ]; then
    hr "round $r/$ROUNDS: opentelemetry-go v1.47.0"
    "$GOBENCH" -runs "$RUNS" -scale "$SCALE" -json "$OUT/rounds/go-$r.json" ||
      say "note: the Go benchmark failed"
  fi
  if [ -n "$RSBENCH" ]; then
    hr "round $r/$ROUNDS: opentelemetry-rust 0.33"
    "$RSBENCH" --runs "$RUNS" --scale "$SCALE" --json "$OUT/rounds/rust-$r.json" ||
      say "note: the Rust benchmark failed"
  fi
  r=$((r + 1))
done

# OTLP/HTTP export to a sink on 127.0.0.1 (cotel only; its own report).
OTLPBENCH=$BUILD/bin/cotel-bench-otlp-export
if [ "${BENCH_OTLP_EXPORT:-1}" != 0 ] && [ -x "$OTLPBENCH" ]; then
  hr "cotel OTLP/HTTP and OTLP/gRPC export to a loopback sink"
  # The gRPC cases need grpcio (a venv, installed once into build/pyenv).
  if PY=$(sh "$ROOT/tests/support/pyenv.sh" 2>/dev/null); then
    COTEL_GRPC_SINK="$PY $ROOT/tests/grpc_receiver.py"
    export COTEL_GRPC_SINK
  else
    say "note: grpcio could not be installed; no OTLP/gRPC cases"
  fi
  "$OTLPBENCH" --json "$OUT/otlp.json" ||
    say "note: the OTLP export benchmark failed"
fi

# Memory: bytes per queued span, and resident memory after a burst of 1M
# spans against the steady state (cotel only; the pools trim themselves).
POOLBENCH=$BUILD/bin/cotel-bench-pool-rss
if [ "${BENCH_MEMORY:-1}" != 0 ] && [ -x "$POOLBENCH" ]; then
  hr "cotel memory: a burst of 1M spans through a 65,536-span queue"
  if "$POOLBENCH" 1000000 3 >"$OUT/pool_rss.raw" 2>/dev/null; then
    cat "$OUT/pool_rss.raw"
    python3 - "$OUT/pool_rss.raw" "$OUT/memory.json" <<'PY' ||
import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[-1])
cases = [("pool_bytes_per_queued_span", r["pool_bytes_per_queued_span"]),
         ("rss_bytes_per_queued_span", r["rss_bytes_per_queued_span"]),
         ("rss_after_burst_over_steady", r["rss_after_kb"] / r["rss_steady_kb"])]
json.dump({"cases": [{"case": "memory_burst_1m", "impl": "cotel", "metric": m,
                      "value": round(v, 3)} for m, v in cases]},
          open(sys.argv[2], "w"))
PY
      say "note: no memory.json"
  else
    say "note: the memory benchmark failed"
  fi
fi

# Instrumentation cost: a SERVER span per request and an instrumented
# libcurl transfer (cotel only; its own report).
HTTPBENCH=$BUILD/bin/cotel-bench-http
if [ "${BENCH_HTTP:-1}" != 0 ] && [ -x "$HTTPBENCH" ]; then
  hr "cotel instrumentation: server span per request, instrumented libcurl transfer"
  "$HTTPBENCH" --runs "$RUNS" --json "$OUT/instrumentation.json" ||
    say "note: the instrumentation benchmark failed"
fi

# ---- services ----
if [ "${BENCH_WRK:-1}" != 0 ]; then
  hr "http_hop: cotel-hop under wrk, untraced / traced / traced_unsampled"
  sh "$ROOT/bench/wrk.sh" "$BUILD" || say "note: bench/wrk.sh failed"
fi
if [ "${BENCH_AB:-1}" != 0 ]; then
  hr "seed_ab_1000: ab -n 1000 -c 1000, handler waits 10 ms"
  sh "$ROOT/bench/ab.sh" "$BUILD" || say "note: bench/ab.sh failed"
fi

# nginx with the module (not loaded / otel_trace off / every request traced
# and exported): needs root to run nginx with a private prefix.
if [ "${BENCH_NGINX:-1}" != 0 ] && [ "$(id -u)" = 0 ]; then
  hr "nginx: static and proxy_pass, module off / on (docs/nginx.md)"
  if sh "$ROOT/scripts/deps.sh" nginx && sh "$ROOT/scripts/nginx.sh" "$BUILD"; then
    if [ "${BENCH_QUICK:-0}" = 1 ]; then
      NGINX_RUNS=${NGINX_RUNS:-3} NGINX_DURATION=${NGINX_DURATION:-2} \
        sh "$ROOT/bench/nginx.sh" "$BUILD" || say "note: bench/nginx.sh failed"
    else
      sh "$ROOT/bench/nginx.sh" "$BUILD" || say "note: bench/nginx.sh failed"
    fi
  else
    say "note: the nginx module could not be built; no nginx case"
  fi
fi

# ---- combined results, table, chart ----
if command -v python3 >/dev/null 2>&1; then
  python3 "$ROOT/bench/combine.py" "$OUT"
  if command -v gnuplot >/dev/null 2>&1 && [ -s "$OUT/chart.dat" ]; then
    gnuplot -e "dat='$OUT/chart.dat'; out='$OUT/chart.svg'" \
      "$ROOT/bench/chart.gp" && say "chart: $OUT/chart.svg"
  else
    say "note: gnuplot is missing: no chart"
  fi
else
  say "note: python3 is missing: no combined results (see $OUT/rounds)"
fi
say ""
say "results: $OUT/results.json ($OUT/results.md)"
say "bench took $(($(date +%s) - START)) s"
exit 0
