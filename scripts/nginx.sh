#!/bin/sh
# Build the cotel nginx module against Debian's nginx-dev.
# Usage: scripts/nginx.sh [BUILD]   (BUILD: cotel's build dir, default build)
# Copies nginx's configured source tree (/usr/share/nginx/src) to
# BUILD/nginx/src, configures it --with-compat with the module, builds the
# modules only, and leaves BUILD/nginx/ngx_http_cotel_module.so for
# `load_module` in Debian's nginx.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$root" && mkdir -p "${1:-build}" && cd "${1:-build}" && pwd)
out="$build/nginx"
src="$out/src"
lib="$build/lib/libcotel.a"
[ -f "$lib" ] || { echo "nginx.sh: $lib missing (run make build)" >&2; exit 1; }
[ -d /usr/share/nginx/src ] || { echo "nginx.sh: /usr/share/nginx/src missing (nginx-dev)" >&2; exit 1; }

mkdir -p "$out"
if [ ! -f "$src/configure" ] || [ /usr/share/nginx/src/configure -nt "$src/configure" ]; then
  rm -rf "$src"
  cp -r /usr/share/nginx/src "$src"
fi
cd "$src"
# Reconfigure only when the module's config or nginx changed.
stamp="$src/objs/.cotel-configured"
if [ ! -f "$stamp" ] || [ "$root/instrumentation/nginx/config" -nt "$stamp" ]; then
  COTEL_LIB="$lib" ./configure --with-compat \
    --add-dynamic-module="$root/instrumentation/nginx" >"$out/configure.log" 2>&1 ||
    { cat "$out/configure.log"; exit 1; }
  touch "$stamp"
fi
# The .so must be relinked when libcotel.a changes.
[ "$lib" -nt objs/ngx_http_cotel_module.so ] 2>/dev/null && rm -f objs/ngx_http_cotel_module.so
make -f objs/Makefile -j2 modules >"$out/make.log" 2>&1 || { cat "$out/make.log"; exit 1; }
cp objs/ngx_http_cotel_module.so "$out/ngx_http_cotel_module.so"
echo "nginx.sh: $out/ngx_http_cotel_module.so"
