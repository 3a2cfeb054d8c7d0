#!/bin/sh
# Build the OpenTelemetry Collector for the interop checks into the cache,
# keyed by the hash of this module's files: a warm run does not rebuild.
# Prints nothing on a cache hit. Path: interop_collector_bin (lib.sh).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${INTEROP_ROOT:=$(cd "$here/.." && pwd)}"
export INTEROP_ROOT
. "$INTEROP_ROOT/lib.sh"
interop_env
bin=$(interop_collector_bin)
[ -x "$bin" ] && exit 0
dir=$(dirname "$bin")
echo "interop: building the OpenTelemetry Collector (v0.161.0) into $dir"
start=$(date +%s)
mkdir -p "$dir"
cd "$here"
go build -ldflags="-s -w" -o "$bin.tmp" .
mv "$bin.tmp" "$bin"
echo "interop: collector built in $(($(date +%s) - start)) s"
# Older builds of the same module are no longer used.
for old in "$INTEROP_CACHE"/collector-*; do
  [ "$old" = "$dir" ] || rm -rf "$old"
done
