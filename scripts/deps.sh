#!/bin/sh
# Install the Debian packages cotel needs, when missing.
# Usage: scripts/deps.sh [build|fuzz|bench|interop|viewer|abi|package|docs|format|nginx]...
# (default: build)
# As root it runs apt-get; otherwise it prints the exact command to run.
set -eu

build="cmake make gcc pkg-config libuv1-dev libcurl4-openssl-dev zlib1g-dev \
libprotobuf-c-dev protobuf-c-compiler libcmocka-dev libpcl1-dev \
libhttp-parser-dev libjansson-dev python3 python3-venv openssl"
fuzz="clang libclang-rt-14-dev"
bench="clang wrk apache2-utils gnuplot-nox valgrind"
interop="curl chromium"
# The cotel-trace page's browser test (make test skips it without chromium).
viewer="chromium"
abi="abigail-tools"
package="dpkg-dev file"
docs="doxygen graphviz"
format="clang-format"
nginx="nginx nginx-dev"

want=""
[ $# -eq 0 ] && set -- build
for g in "$@"; do
  case "$g" in
    build) want="$want $build" ;;
    fuzz) want="$want $build $fuzz" ;;
    bench) want="$want $build $bench" ;;
    interop) want="$want $build $interop" ;;
    abi) want="$want $build $abi" ;;
    package) want="$want $build $package" ;;
    docs) want="$want $docs" ;;
    format) want="$want $format" ;;
    viewer) want="$want $viewer" ;;
    nginx) want="$want $build $nginx" ;;
    *) echo "deps.sh: unknown group '$g'" >&2; exit 2 ;;
  esac
done

missing=""
for p in $want; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    case " $missing " in *" $p "*) ;; *) missing="$missing $p" ;; esac
  fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
  echo "deps.sh: installing:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || true
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >&2
else
  echo "deps.sh: missing packages; run:" >&2
  echo "  sudo apt-get install -y$missing" >&2
  exit 1
fi
