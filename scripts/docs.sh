#!/bin/sh
# make docs: Doxygen over the installed (public) headers, warnings as errors.
# Output: build-docs/html/index.html.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh docs
out=$(pwd)/build-docs
rm -rf "$out"
mkdir -p "$out/include/cotel"
for d in sdk propagators exporters/* instrumentation setup; do
  [ -d "$d/include/cotel" ] && cp "$d"/include/cotel/*.h "$out/include/cotel/"
done
COTEL_DOCS_OUT=$out COTEL_DOCS_INPUT=$out/include/cotel doxygen docs/api/Doxyfile || {
  cat "$out/warnings.log"
  echo "docs: doxygen failed"
  exit 1
}
if [ -s "$out/warnings.log" ]; then
  cat "$out/warnings.log"
  echo "docs: $(wc -l <"$out/warnings.log") warning(s)"
  exit 1
fi
echo "docs: $out/html/index.html ($(ls "$out"/include/cotel | wc -l) headers, no warnings)"
