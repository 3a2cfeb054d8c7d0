#!/usr/bin/env python3
"""Fail on an #include that crosses cotel's layers upward.

Layers, lowest first: sdk <- propagators <- exporters/* <- instrumentation
<- setup. A file may include its own component's headers (src/, include/,
internal/) and the public or internal headers of components in its layer or
below. Nothing outside examples/ may include code from examples/.
The CMake targets enforce the same at compile time; this check reads the
include lines, so it also covers files a given build configuration skips.
Usage: scripts/check-layers.py [ROOT]   (exit 1 on a violation)
"""
import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), ".."))
LAYERS = [("sdk", 0), ("propagators", 1), ("exporters", 2),
          ("instrumentation", 3), ("setup", 4)]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def components():
    """(path, layer) of every component: a directory with src/ or include/."""
    out = []
    for top, layer in LAYERS:
        base = os.path.join(ROOT, top)
        if not os.path.isdir(base):
            continue
        if any(os.path.isdir(os.path.join(base, d))
               for d in ("src", "include", "internal")):
            out.append((base, layer))
        for d in sorted(os.listdir(base)):
            sub = os.path.join(base, d)
            if os.path.isdir(sub) and any(
                    os.path.isdir(os.path.join(sub, x))
                    for x in ("src", "include", "internal")):
                out.append((sub, layer))
    return out


def owner(comps, header):
    for path, layer in comps:
        for d in ("include", "internal"):
            if os.path.isfile(os.path.join(path, d, header)):
                return path, layer
    return None, None


def component_of(comps, f):
    best = None
    for path, layer in comps:
        if f.startswith(path + os.sep) and (best is None or
                                            len(path) > len(best[0])):
            best = (path, layer)
    return best


def sources(top):
    for dirpath, _, files in os.walk(top):
        for name in files:
            if name.endswith((".c", ".h")):
                yield os.path.join(dirpath, name)


def main():
    comps = components()
    errors = []
    rel = lambda p: os.path.relpath(p, ROOT)
    for top, _ in LAYERS:
        for f in sources(os.path.join(ROOT, top)):
            comp = component_of(comps, f)
            if comp is None:
                continue
            text = open(f, encoding="utf-8", errors="replace").read()
            for inc in INCLUDE.findall(text):
                if inc.endswith(".pb-c.h"):
                    continue  # protoc-c output, generated in the build tree
                local = os.path.normpath(os.path.join(os.path.dirname(f), inc))
                in_own = any(os.path.isfile(os.path.join(comp[0], d, inc))
                             for d in ("src", "include", "internal"))
                if in_own or (os.path.isfile(local) and
                              local.startswith(comp[0] + os.sep)):
                    continue
                path, layer = owner(comps, inc)
                if path is None:
                    errors.append(f"{rel(f)}: \"{inc}\" is no component's "
                                  "public or internal header")
                elif layer > comp[1]:
                    errors.append(f"{rel(f)}: includes \"{inc}\" from "
                                  f"{rel(path)}, a layer above {rel(comp[0])}")
    # Nothing outside examples/ includes examples/ code.
    for top in ("sdk", "propagators", "exporters", "instrumentation", "setup",
                "tests", "bench", "tools"):
        for f in sources(os.path.join(ROOT, top)):
            text = open(f, encoding="utf-8", errors="replace").read()
            for inc in INCLUDE.findall(text):
                target = os.path.normpath(os.path.join(os.path.dirname(f), inc))
                if "examples/" in inc or target.startswith(
                        os.path.join(ROOT, "examples") + os.sep):
                    errors.append(f"{rel(f)}: includes examples code \"{inc}\"")
    for e in errors:
        print("layer violation:", e)
    print(f"check-layers: {len(comps)} components, "
          f"{len(errors)} violation(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
