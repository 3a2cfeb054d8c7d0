#!/bin/sh
# Every public header compiles on its own: as C11 with -std=c11 -pedantic
# -Werror and no feature macros, and as C++17 (extern "C"). Each header is
# the first and only include of a one-line translation unit.
# Usage: check-headers.sh CC CXX INCLUDE_DIR...
set -eu
cc=$1 cxx=$2
shift 2
flags=""
for d in "$@"; do flags="$flags -I$d"; done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 bad=0
for d in "$@"; do
  for h in "$d"/cotel/*.h; do
    [ -e "$h" ] || continue
    name=cotel/$(basename "$h")
    # (a typedef: a header of macros alone would leave the unit empty)
    printf '#include "%s"\ntypedef int cotel_header_check_;\n' "$name" >"$tmp/t.c"
    cp "$tmp/t.c" "$tmp/t.cc"
    # shellcheck disable=SC2086
    if ! "$cc" -std=c11 -pedantic -Wall -Wextra -Werror $flags \
      $(pkg-config --cflags libuv) -c "$tmp/t.c" -o "$tmp/t.o" 2>"$tmp/err"; then
      echo "FAIL C11: $name"; cat "$tmp/err"; bad=$((bad + 1))
    fi
    # shellcheck disable=SC2086
    if ! "$cxx" -std=c++17 -pedantic -Wall -Wextra -Werror $flags \
      $(pkg-config --cflags libuv) -c "$tmp/t.cc" -o "$tmp/t.o" 2>"$tmp/err"; then
      echo "FAIL C++17: $name"; cat "$tmp/err"; bad=$((bad + 1))
    fi
    n=$((n + 1))
  done
done
echo "headers: $n checked as C11 and C++17, $bad failure(s)"
[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
