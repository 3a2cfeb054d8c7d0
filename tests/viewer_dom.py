#!/usr/bin/env python3
"""Load a cotel-trace --html page in headless Chromium and check its DOM.

    viewer_dom.py PAGE.html --spans N --services a,b,c [--orphans K]
                  [--screenshot OUT.png] [--fragment span=<id>]

Chromium (Debian's, /usr/bin/chromium, or $CHROMIUM) runs the page's script
and dumps the DOM (--dump-dom); the checks: the script drew N span rows (and
said so in body[data-rendered]), every row whose parent is on the page sits
after its parent's row in the same trace section at depth parent + 1, the
rows name exactly the given services, K rows are marked orphan. Exit status
0 when all hold, 1 when not, 77 when Chromium is not installed."""

import argparse
import html.parser
import os
import shutil
import subprocess
import sys
import tempfile

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def chromium():
    exe = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return exe if os.access(exe, os.X_OK) else None


def run(exe, extra, page, fragment=None, timeout=120):
    with tempfile.TemporaryDirectory(prefix="cotel-chromium-") as profile:
        cmd = [exe] + FLAGS + ["--user-data-dir=" + profile] + extra + \
            ["file://" + os.path.abspath(page) + ("#" + fragment if fragment else "")]
        p = subprocess.run(cmd, capture_output=True, timeout=timeout)
        if p.returncode != 0:
            sys.stderr.write(p.stderr.decode("utf-8", "replace")[-2000:])
            raise SystemExit("viewer_dom: chromium exited with %d" % p.returncode)
        return p.stdout.decode("utf-8", "replace")


class Rows(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows = []          # (trace id, attrs)
        self.trace = None
        self.rendered = None
        self.render_ms = None
        self.details_shown = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "body":
            self.rendered = a.get("data-rendered")
            self.render_ms = a.get("data-render-ms")
        elif tag == "aside" and a.get("id") == "details":
            self.details_shown = "hidden" not in a
        elif tag == "section" and "trace" in cls:
            self.trace = a.get("data-trace-id")
        elif tag == "div" and "span" in cls:
            self.rows.append((self.trace, a, cls))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("page")
    ap.add_argument("--spans", type=int, required=True)
    ap.add_argument("--services", required=True)
    ap.add_argument("--orphans", type=int, default=0)
    ap.add_argument("--screenshot")
    ap.add_argument("--fragment", help="open the page at #FRAGMENT (span=<id>: its details)")
    args = ap.parse_args()
    exe = chromium()
    if not exe:
        print("viewer_dom: chromium is not installed (scripts/deps.sh viewer); skipped")
        return 77
    dom = run(exe, ["--dump-dom"], args.page, args.fragment)
    p = Rows()
    p.feed(dom)
    errors = []
    if p.rendered != str(args.spans):
        errors.append("body data-rendered=%r, want %d (did the script run?)"
                      % (p.rendered, args.spans))
    if len(p.rows) != args.spans:
        errors.append("%d span rows, want %d" % (len(p.rows), args.spans))
    seen = {}  # (trace, span id) -> depth, for rows already drawn
    bad_nesting = 0
    for trace, a, cls in p.rows:
        sid, pid, depth = a.get("data-span-id"), a.get("data-parent-id"), int(a.get("data-depth"))
        if pid and (trace, pid) in seen:
            if depth != seen[(trace, pid)] + 1:
                bad_nesting += 1
        elif depth != 0:
            bad_nesting += 1  # a root or orphan must be drawn at the top level
        seen.setdefault((trace, sid), depth)
    if bad_nesting:
        errors.append("%d rows not nested under their parent" % bad_nesting)
    services = {a.get("data-service") for _, a, _ in p.rows}
    want = set(args.services.split(","))
    if services != want:
        errors.append("services %s, want %s" % (sorted(services), sorted(want)))
    orphans = sum(1 for _, _, cls in p.rows if "orphan" in cls)
    if orphans != args.orphans:
        errors.append("%d orphan rows, want %d" % (orphans, args.orphans))
    if args.fragment and args.fragment.startswith("span=") and not p.details_shown:
        errors.append("#%s did not open the span's details" % args.fragment)
    if args.screenshot:
        run(exe, ["--window-size=1400,900", "--screenshot=" + os.path.abspath(args.screenshot)],
            args.page, args.fragment)
        if not os.path.getsize(args.screenshot):
            errors.append("empty screenshot")
    for e in errors:
        print("viewer_dom: " + e)
    if not errors:
        print("viewer_dom: %d rows, %d traces, services %s, %d orphans, script %s ms: ok"
              % (len(p.rows), len({t for t, _, _ in p.rows}), ",".join(sorted(services)), orphans,
                 p.render_ms))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
