#!/bin/sh
# The layer check (scripts/check-layers.py) passes on the tree and fails on
# a copy of it where the sdk includes an exporter's header, or a test
# includes code from examples/.
# Usage: check-layers-test.sh SOURCE_DIR
set -eu
src=$1
check="python3 $src/scripts/check-layers.py"
$check "$src" >/dev/null || { echo "FAIL: the tree itself has violations"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for d in sdk propagators exporters instrumentation setup tests examples; do
  [ -d "$src/$d" ] && cp -r "$src/$d" "$tmp/$d"
done
rm -rf "$tmp/tests/fuzz/corpus-"* 2>/dev/null || true
$check "$tmp" >/dev/null || { echo "FAIL: the copy has violations"; exit 1; }
f=$(ls "$tmp"/sdk/src/util/*.c | head -1)
cp "$f" "$tmp/saved.c"
printf '#include "cotel/otlp.h"\n' | cat - "$tmp/saved.c" >"$f"
if out=$($check "$tmp"); then
  echo "FAIL: an upward include in the sdk was not caught"; exit 1
fi
echo "$out" | grep -q 'a layer above sdk' || { echo "$out"; exit 1; }
cp "$tmp/saved.c" "$f"
t=$(ls "$tmp"/tests/test_*.c | head -1)
printf '#include "../examples/httpkit/hk_buf.c"\n' >>"$t"
if out=$($check "$tmp"); then
  echo "FAIL: a test including examples code was not caught"; exit 1
fi
echo "$out" | grep -q 'includes examples code' || { echo "$out"; exit 1; }
echo "check-layers: the tree passes; an upward include and an examples include are caught"
