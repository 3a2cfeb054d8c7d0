#!/bin/sh
# `make bench`: cotel's C benchmarks next to opentelemetry-go and
# opentelemetry-rust running the same workload, in the same run, then a
# side-by-side table with the DESIGN §7 targets.
#
# usage: sh scripts/bench.sh [BUILD_DIR]
# env:   BENCH_RUNS (runs per case, default 7; the median is reported)
#        BENCH_SCALE (multiplies iteration counts, default 1)
#        BENCH_PEERS=0 (C only: skip Go and Rust)
#        BENCH_OTLP_EXPORT=0 (skip the OTLP/HTTP+gRPC export bench, loopback only)
#        BENCH_WRK=0 (skip bench/wrk.sh: cotel-hop under wrk, ~80 s)
# Results: BUILD_DIR/bench/{c,go,rust}.json. The Rust build is cached in
# ~/.cache/cotel-bench/rust-target; Go uses its own build cache.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
OUT=$BUILD/bench
RUNS=${BENCH_RUNS:-7}
SCALE=${BENCH_SCALE:-1}
mkdir -p "$OUT"
rm -f "$OUT/c.json" "$OUT/go.json" "$OUT/rust.json" "$OUT/otlp.json" \
  "$OUT/wrk.json"

say() { printf '%s\n' "$*"; }
hr() { say "== $* =="; }

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

# ---- run (one after the other, so they do not compete for the 2 cores) ----
say ""
say "machine: $(nproc) cores, $(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg)"
say "each case: median of $RUNS runs, ns/op (min..max)"
# A busy machine inflates every number (wall-clock timing): say so.
LOAD=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
if awk -v l="$LOAD" -v n="$(nproc)" 'BEGIN { exit !(l > n * 0.75) }'; then
  say "WARNING: load $LOAD on $(nproc) cores: other work competes for the CPU;"
  say "         numbers are inflated and noisy (rerun on a quiet machine)"
fi
hr "cotel (C)"
"$CBENCH" --runs "$RUNS" --scale "$SCALE" --json "$OUT/c.json" || {
  say "bench: the C benchmark failed" >&2
  exit 1
}
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
GOJSON=-
RSJSON=-
if [ -n "$GOBENCH" ]; then
  hr "opentelemetry-go v1.47.0"
  if "$GOBENCH" -runs "$RUNS" -scale "$SCALE" -json "$OUT/go.json"; then
    GOJSON=$OUT/go.json
  else
    say "note: the Go benchmark failed"
  fi
fi
if [ -n "$RSBENCH" ]; then
  hr "opentelemetry-rust 0.33"
  if "$RSBENCH" --runs "$RUNS" --scale "$SCALE" --json "$OUT/rust.json"; then
    RSJSON=$OUT/rust.json
  else
    say "note: the Rust benchmark failed"
  fi
fi

# HTTP server throughput, instrumented vs not (DESIGN §7; bench/wrk.sh).
if [ "${BENCH_WRK:-1}" != 0 ]; then
  hr "cotel-hop under wrk: instrumented vs uninstrumented"
  sh "$ROOT/bench/wrk.sh" "$BUILD" || say "note: bench/wrk.sh failed"
fi

# ---- side by side ----
if command -v python3 >/dev/null 2>&1; then
  python3 "$ROOT/bench/compare.py" "$OUT/c.json" "$GOJSON" "$RSJSON"
else
  say "note: python3 is missing: no side-by-side table (see $OUT/*.json)"
fi
say ""
say "results: $OUT/c.json $GOJSON $RSJSON"
if [ -f "$OUT/otlp.json" ]; then say "         $OUT/otlp.json"; fi
if [ -f "$OUT/wrk.json" ]; then say "         $OUT/wrk.json"; fi
exit 0
