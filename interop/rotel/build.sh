#!/bin/sh
# Install rotel, the Rust OpenTelemetry collector, from the npm package
# rotel-agent-linux-x64 (version pinned in package.json/package-lock.json;
# the binary ships inside the package) into the cache, keyed by the hash of
# the lock file. Path: interop_rotel_bin (lib.sh).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${INTEROP_ROOT:=$(cd "$here/.." && pwd)}"
export INTEROP_ROOT
. "$INTEROP_ROOT/lib.sh"
interop_env
bin=$(interop_rotel_bin)
[ -x "$bin" ] && exit 0
dir=$(interop_rotel_dir)
echo "interop: installing rotel (npm rotel-agent-linux-x64) into $dir"
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
cp "$here/package.json" "$here/package-lock.json" "$dir.tmp/"
(cd "$dir.tmp" && npm ci --no-audit --no-fund --loglevel=error)
rm -rf "$dir"
mv "$dir.tmp" "$dir"
[ -x "$bin" ] || { echo "interop: $bin missing after npm ci" >&2; exit 1; }
for old in "$INTEROP_CACHE"/rotel-*; do
  [ "$old" = "$dir" ] || rm -rf "$old"
done
