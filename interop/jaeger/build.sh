#!/bin/sh
# Build Jaeger v2 (github.com/jaegertracing/jaeger/cmd/jaeger, v1.76.0, a
# `go get -tool` dependency of this module: a plain `go install` fails on the
# replace directive in Jaeger's own go.mod) into the cache, keyed by the hash
# of go.mod/go.sum. Path: interop_jaeger_bin (lib.sh).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${INTEROP_ROOT:=$(cd "$here/.." && pwd)}"
export INTEROP_ROOT
. "$INTEROP_ROOT/lib.sh"
interop_env
bin=$(interop_jaeger_bin)
[ -x "$bin" ] && exit 0
dir=$(dirname "$bin")
echo "interop: building Jaeger v2 (v1.76.0) into $dir"
start=$(date +%s)
mkdir -p "$dir"
cd "$here"
go build -ldflags="-s -w" -o "$bin.tmp" github.com/jaegertracing/jaeger/cmd/jaeger
mv "$bin.tmp" "$bin"
echo "interop: jaeger built in $(($(date +%s) - start)) s"
for old in "$INTEROP_CACHE"/jaeger-*; do
  [ "$old" = "$dir" ] || rm -rf "$old"
done
