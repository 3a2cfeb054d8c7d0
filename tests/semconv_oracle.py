#!/usr/bin/env python3
"""Check cotel/semconv.h against the official OpenTelemetry semantic
conventions, as published on PyPI (opentelemetry-semantic-conventions).

    semconv_oracle.py --header instrumentation/include/cotel/semconv.h \
                      --venv build/semconv-venv

The package is installed once into the venv (COTEL_SEMCONV_VERSION pins a
version; the default is the newest release, so a renamed or deprecated
attribute shows up here); later runs reuse it without the network. Every
COTEL_ATTR_<NAME> must be an attribute constant <NAME> (or <NAME>_TEMPLATE)
with the same string, in the package's stable modules for a "(stable)" group
of the header, in its incubating ones for a "(development)" group, and not
deprecated. Every COTEL_<NAME>_VALUE_<MEMBER> must be member <MEMBER> of the
enumeration of <NAME> with the same string. Exit 0 when all match, 1 on a
mismatch, 77 (ctest's skip) when the package cannot be installed.
"""
import argparse
import ast
import os
import re
import subprocess
import sys
import venv

PKG = "opentelemetry-semantic-conventions"


def ensure_venv(path):
    """The venv's python, with the package installed (idempotent)."""
    py = os.path.join(path, "bin", "python3")
    want = os.environ.get("COTEL_SEMCONV_VERSION", "")
    stamp = os.path.join(path, "cotel-semconv-ok")
    if os.path.exists(py) and os.path.exists(stamp):
        with open(stamp) as f:
            if f.read().strip() == want:
                return py
    if not os.path.exists(py):
        venv.EnvBuilder(with_pip=True, clear=True).create(path)
    spec = PKG + ("==" + want if want else "")
    r = subprocess.run([py, "-m", "pip", "install", "-q",
                        "--disable-pip-version-check", spec],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=300)
    if r.returncode != 0:
        sys.stdout.write(r.stdout)
        return None
    with open(stamp, "w") as f:
        f.write(want + "\n")
    return py


# Runs inside the venv: prints, as Python literals, every attribute module's
# constants and enumerations, parsed from source (the docstring after a
# constant is what marks it deprecated; import would lose it).
DUMP = r'''
import ast, importlib.metadata, importlib.util, os, sys
out = {"version": importlib.metadata.version("opentelemetry-semantic-conventions")}
for kind, pkg in (("stable", "opentelemetry.semconv.attributes"),
                  ("development", "opentelemetry.semconv._incubating.attributes")):
    d = list(importlib.util.find_spec(pkg).submodule_search_locations)[0]
    attrs, enums = {}, {}
    for fn in sorted(os.listdir(d)):
        if not fn.endswith("_attributes.py"):
            continue
        body = ast.parse(open(os.path.join(d, fn)).read()).body
        for i, node in enumerate(body):
            if isinstance(node, ast.AnnAssign) and isinstance(node.value, ast.Constant) \
                    and isinstance(node.value.value, str):
                doc = ""
                if i + 1 < len(body) and isinstance(body[i + 1], ast.Expr) and \
                        isinstance(body[i + 1].value, ast.Constant):
                    doc = str(body[i + 1].value.value).strip()
                attrs[node.target.id] = (node.value.value, doc.startswith("Deprecated"), fn)
            elif isinstance(node, ast.ClassDef) and node.name.endswith("Values"):
                dep = any("deprecated" in ast.unparse(x) for x in node.decorator_list)
                members = {}
                for m in node.body:
                    if isinstance(m, ast.Assign) and isinstance(m.value, ast.Constant):
                        members[m.targets[0].id] = m.value.value
                enums[node.name] = (members, dep)
    out[kind] = {"attrs": attrs, "enums": enums}
print(repr(out))
'''

GROUP = re.compile(r"/\*+\s*-+\s*(.+?)\s*\((stable|development)\)\s*-+\s*\*/")
DEFINE = re.compile(r'#define\s+(COTEL_\w+)\s+"([^"]*)"')


def parse_header(path):
    """[(macro, string, stability, line)] for every string macro."""
    out, stability = [], None
    with open(path) as f:
        for n, line in enumerate(f, 1):
            g = GROUP.search(line)
            if g:
                stability = g.group(2)
                continue
            m = DEFINE.match(line.strip())
            if m:
                out.append((m.group(1), m.group(2), stability, n))
    return out


def camel(name):
    return "".join(w.capitalize() for w in name.lower().split("_")) + "Values"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--header", required=True)
    ap.add_argument("--venv", required=True)
    a = ap.parse_args()

    py = ensure_venv(a.venv)
    if not py:
        print(f"SKIP: could not install {PKG} into {a.venv}")
        return 77
    db = ast.literal_eval(subprocess.run([py, "-c", DUMP], check=True,
                                         stdout=subprocess.PIPE,
                                         text=True).stdout)
    macros = parse_header(a.header)
    errors, checked_attrs, checked_values = [], 0, 0
    seen = {}
    attr_stability = {}
    for macro, value, stability, line in macros:
        where = f"{a.header}:{line}: {macro}"
        if macro in seen:
            errors.append(f"{where}: defined twice")
        seen[macro] = value
        if stability is None:
            errors.append(f"{where}: outside a '(stable)' or '(development)' group")
            continue
        if macro.startswith("COTEL_ATTR_"):
            name = macro[len("COTEL_ATTR_"):]
            attrs = db[stability]["attrs"]
            found = attrs.get(name) or attrs.get(name + "_TEMPLATE")
            if not found:
                other = "development" if stability == "stable" else "stable"
                o = db[other]["attrs"].get(name)
                if o and o[0] == value:
                    errors.append(f"{where}: \"{value}\" is {other} in the "
                                  f"conventions, not {stability}")
                else:
                    errors.append(f"{where}: no attribute {name} in the "
                                  f"{stability} conventions")
                continue
            if found[0] != value:
                errors.append(f"{where}: is \"{value}\", the conventions say "
                              f"\"{found[0]}\"")
            elif found[1]:
                errors.append(f"{where}: \"{value}\" is deprecated")
            if stability == "development" and name in db["stable"]["attrs"]:
                print(f"note: {macro} (\"{value}\") is stable now; move it "
                      "to a stable group")
            attr_stability[name] = stability
            checked_attrs += 1
        elif "_VALUE_" in macro:
            name, member = macro[len("COTEL_"):].split("_VALUE_", 1)
            if name not in attr_stability:
                errors.append(f"{where}: no COTEL_ATTR_{name} above it")
                continue
            cls = camel(name)
            enum = db[attr_stability[name]]["enums"].get(cls)
            if not enum:
                errors.append(f"{where}: the conventions have no enumeration "
                              f"{cls}")
                continue
            members, dep = enum
            if dep:
                errors.append(f"{where}: {cls} is deprecated")
            elif member not in members:
                errors.append(f"{where}: {cls} has no member {member}")
            elif members[member] != value:
                errors.append(f"{where}: is \"{value}\", {cls}.{member} is "
                              f"\"{members[member]}\"")
            checked_values += 1
        else:
            errors.append(f"{where}: neither COTEL_ATTR_* nor COTEL_*_VALUE_*")
    for e in errors:
        print(e)
    print(f"{PKG} {db['version']}: {checked_attrs} attribute names and "
          f"{checked_values} values checked, {len(errors)} mismatches")
    return 1 if errors or not checked_attrs else 0


if __name__ == "__main__":
    sys.exit(main())
