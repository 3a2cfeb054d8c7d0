#!/bin/sh
# Builds go-hop (the Go peer of cotel-hop, interop checks 4 and 5) into
# $INTEROP_CACHE/go-hop-<hash>/go-hop, the hash over go.sum, go.mod, the
# sources and the Go version: a warm run does not rebuild. Also points
# $INTEROP_CACHE/bin/go-hop at it, and prints its path. POSIX sh: run.sh
# runs every build.sh with sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
INTEROP_ROOT=${INTEROP_ROOT:-$(dirname "$here")}
. "$INTEROP_ROOT/lib.sh"
interop_env
key=$(cd "$here" && { cat go.sum go.mod ./*.go; go version; } | sha256sum | cut -c1-16)
dir=$INTEROP_CACHE/go-hop-$key
out=$dir/go-hop
if [ -x "$out" ]; then
  echo "go-hop: cached ($dir)" >&2
else
  start=$(date +%s)
  mkdir -p "$dir"
  (cd "$here" && go build -trimpath -o "$out.tmp" .)
  mv "$out.tmp" "$out"
  # Other keys are builds of earlier sources.
  for d in "$INTEROP_CACHE"/go-hop-*; do
    [ "$d" = "$dir" ] || rm -rf "$d"
  done
  echo "go-hop: built in $(($(date +%s) - start)) s" >&2
fi
mkdir -p "$INTEROP_CACHE/bin"
ln -sfn "$out" "$INTEROP_CACHE/bin/go-hop"
echo "$out"
