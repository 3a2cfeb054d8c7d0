#!/bin/sh
# Compare libcotel.so's ABI with the checked-in baseline (docs/abi.md).
#   scripts/abi-check.sh            build, abidiff against abi/libcotel.abi
#   scripts/abi-check.sh --update   rewrite the baseline (a deliberate commit)
# The library is built with debug info (RelWithDebInfo) in build-abi/ so
# that abidw sees the types, not only the symbols. Only types reachable from
# the public headers count (--headers-dir).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh abi
build=${ABI_BUILD:-build-abi}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCOTEL_BUILD_TESTS=OFF -DCOTEL_BUILD_EXAMPLES=OFF -DCOTEL_BUILD_BENCH=OFF \
  >/dev/null
cmake --build "$build" --target cotel_shared -j "$(nproc)" >/dev/null
so=$(ls "$build"/lib/libcotel.so.*.*.* | head -1)

# abidw reads public types from one headers directory: the installed layout.
inc=$(mktemp -d)
trap 'rm -rf "$inc"' EXIT
mkdir -p "$inc/cotel"
for d in sdk propagators exporters/* instrumentation setup; do
  [ -d "$d/include/cotel" ] && cp "$d"/include/cotel/*.h "$inc/cotel/"
done

current="$build/libcotel.abi"
abidw --no-corpus-path --drop-private-types --headers-dir "$inc" \
  --out-file "$current" "$so"

baseline=abi/libcotel.abi
if [ "${1:-}" = "--update" ]; then
  cp "$current" "$baseline"
  echo "abi-check: baseline updated from $(basename "$so")"
  exit 0
fi
if [ ! -f "$baseline" ]; then
  echo "abi-check: no baseline ($baseline); run scripts/abi-check.sh --update"
  exit 1
fi
set +e
abidiff --no-added-syms "$baseline" "$current" >"$build/abidiff.txt"
rc=$?
abidiff "$baseline" "$current" >"$build/abidiff-all.txt"
all=$?
set -e
# abidiff's exit code is a bit field: 4 = ABI change, 8 = incompatible.
if [ $((rc & 8)) -ne 0 ]; then
  cat "$build/abidiff.txt"
  echo "abi-check: INCOMPATIBLE ABI change: bump the soname (major version)"
  echo "           and update the baseline in the same commit"
  exit 1
fi
if [ "$all" -ne 0 ]; then
  cat "$build/abidiff-all.txt"
  echo "abi-check: the ABI changed (compatibly): update the baseline on"
  echo "           purpose with scripts/abi-check.sh --update"
  exit 1
fi
echo "abi-check: $(basename "$so") matches $baseline"
