#!/bin/sh
# make package: libcotel0 and libcotel-dev .deb files in build-pkg/, built
# for /usr with CPack.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh package
cmake -S . -B build-pkg -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DCOTEL_BUILD_TESTS=OFF -DCOTEL_BUILD_EXAMPLES=OFF -DCOTEL_BUILD_BENCH=OFF \
  >/dev/null
cmake --build build-pkg -j "$(nproc)" >/dev/null
(cd build-pkg && cpack -G DEB >/dev/null)
ls build-pkg/*.deb
