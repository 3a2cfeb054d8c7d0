#!/bin/sh
# cotel as other projects consume it: build tests/consumer/main.c from
# outside the tree and run it, each way a C project adopts a library.
#   scripts/consumer-test.sh install   cmake --install into a prefix, then
#                                      pkg-config (shared and --static) and
#                                      find_package(cotel)
#   scripts/consumer-test.sh subdir    add_subdirectory(cotel)
#   scripts/consumer-test.sh fetch     FetchContent from this git repository
#   scripts/consumer-test.sh deb       make package, dpkg -i the .debs, then
#                                      pkg-config and find_package against
#                                      /usr, then remove the packages
# Each run must print the consumer's trace (console exporter).
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OTEL_TRACES_EXPORTER=console
jobs=$(nproc)

check_run() { # name command...
  name=$1
  shift
  "$@" >"$tmp/out.txt" 2>&1 || { cat "$tmp/out.txt"; echo "FAIL $name: exit"; exit 1; }
  if ! grep -q '^trace [0-9a-f]\{32\}' "$tmp/out.txt" ||
    ! grep -q 'consumer-child' "$tmp/out.txt"; then
    cat "$tmp/out.txt"
    echo "FAIL $name: no trace printed"
    exit 1
  fi
  echo "PASS $name: $(tail -1 "$tmp/out.txt")"
}

pkgconfig_build() { # label pc-dir ldpath
  label=$1 pcdir=$2 ldpath=$3
  PKG_CONFIG_PATH=$pcdir
  export PKG_CONFIG_PATH
  # shellcheck disable=SC2046
  cc -std=c11 -DCONSUMER_HOW="\"$label-pkgconfig\"" tests/consumer/main.c \
    $(pkg-config --cflags --libs cotel) -o "$tmp/c-shared"
  check_run "$label pkg-config (shared)" env LD_LIBRARY_PATH="$ldpath" "$tmp/c-shared"
  ldd "$tmp/c-shared" | grep -q 'libcotel.so.0' ||
    { echo "FAIL: not linked to libcotel.so.0"; exit 1; }
  # shellcheck disable=SC2046
  # The archive by path, then the shared libraries it needs: the modules of
  # Requires and Requires.private (their own static deps are not wanted).
  cc -std=c11 -DCONSUMER_HOW="\"$label-pkgconfig-static\"" tests/consumer/main.c \
    $(pkg-config --cflags cotel) "$(pkg-config --variable=libdir cotel)/libcotel.a" \
    $(pkg-config --libs $(pkg-config --print-requires cotel) \
      $(pkg-config --print-requires-private cotel)) -lpthread -lm -o "$tmp/c-static"
  ldd "$tmp/c-static" | grep -q 'libcotel' &&
    { echo "FAIL: static build linked libcotel.so"; exit 1; }
  check_run "$label pkg-config --static" "$tmp/c-static"
  unset PKG_CONFIG_PATH
}

find_package_build() { # label prefix-path ldpath
  label=$1 prefix=$2 ldpath=$3
  cmake -S tests/consumer -B "$tmp/fp-$label" -DMODE=package \
    ${prefix:+-DCMAKE_PREFIX_PATH="$prefix"} >/dev/null
  cmake --build "$tmp/fp-$label" -j "$jobs" >/dev/null
  check_run "$label find_package cotel::cotel" env LD_LIBRARY_PATH="$ldpath" \
    "$tmp/fp-$label/consumer"
  check_run "$label find_package cotel::cotel_static" "$tmp/fp-$label/consumer_static"
}

case "${1:-}" in
install)
  build=${BUILD:-build}
  [ -f "$build/CMakeCache.txt" ] || { echo "build first (make build)"; exit 1; }
  cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
  for f in include/cotel/cotel.h include/cotel/otlp.h lib/libcotel.a \
    lib/pkgconfig/cotel.pc lib/cmake/cotel/cotelConfig.cmake \
    lib/cmake/cotel/cotelConfigVersion.cmake lib/cmake/cotel/cotelTargets.cmake; do
    [ -e "$tmp/prefix/$f" ] || { echo "FAIL install: missing $f"; exit 1; }
  done
  ls "$tmp"/prefix/lib/libcotel.so.0 >/dev/null
  if ls "$tmp"/prefix/include/cotel/internal >/dev/null 2>&1; then
    echo "FAIL install: internal headers installed"; exit 1
  fi
  echo "PASS install: headers, libcotel.so.0 and links, libcotel.a, cotel.pc, CMake package"
  pkgconfig_build install "$tmp/prefix/lib/pkgconfig" "$tmp/prefix/lib"
  find_package_build install "$tmp/prefix" "$tmp/prefix/lib"
  ;;
subdir)
  cmake -S tests/consumer -B "$tmp/sub" -DMODE=subdir -DCOTEL_SRC="$src" >/dev/null
  cmake --build "$tmp/sub" -j "$jobs" >/dev/null
  [ ! -e "$tmp/sub/cotel/tests" ] || { echo "FAIL subdir: tests configured"; exit 1; }
  check_run "add_subdirectory cotel::cotel" env LD_LIBRARY_PATH="$tmp/sub/cotel" "$tmp/sub/consumer"
  ;;
fetch)
  rev=$(git rev-parse HEAD)
  cmake -S tests/consumer -B "$tmp/fetch" -DMODE=fetch -DCOTEL_SRC="$src" \
    -DCOTEL_REV="$rev" >/dev/null
  cmake --build "$tmp/fetch" -j "$jobs" >/dev/null
  check_run "FetchContent cotel::cotel" "$tmp/fetch/consumer"
  ;;
deb)
  sh scripts/package.sh
  debs=$(ls build-pkg/libcotel0_*.deb build-pkg/libcotel-dev_*.deb)
  # shellcheck disable=SC2086
  dpkg -i $debs >/dev/null
  trap 'dpkg -r libcotel-dev libcotel0 >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
  dpkg -L libcotel-dev | grep -q 'cotel.pc' || { echo "FAIL deb: no cotel.pc"; exit 1; }
  echo "PASS deb: installed $(echo $debs | tr '\n' ' ')"
  pkgconfig_build deb "" ""
  find_package_build deb "" ""
  dpkg -r libcotel-dev libcotel0 >/dev/null
  if dpkg-query -W libcotel0 >/dev/null 2>&1 &&
    dpkg-query -W -f='${Status}' libcotel0 | grep -q 'ok installed'; then
    echo "FAIL deb: libcotel0 still installed"; exit 1
  fi
  echo "PASS deb: packages removed"
  ;;
*)
  echo "usage: $0 install|subdir|fetch|deb" >&2
  exit 2
  ;;
esac
