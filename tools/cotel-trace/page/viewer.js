/* cotel-trace page script (embedded into every page; no external files).
 * Reads the spans from the #cotel-data JSON block and draws, per trace, a
 * waterfall: one row per span in tree order (the C side has ordered and
 * nested them), a bar on the trace's time axis coloured by service, event
 * ticks, error and orphan marks; a click shows the span's details. */
(function () {
  "use strict";
  var t0 = performance.now();
  var data = JSON.parse(document.getElementById("cotel-data").textContent);
  var KINDS = ["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"];
  var STATUS = ["unset", "ok", "error"];

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function fmt(ns) {
    if (ns < 1e3) return ns + "ns";
    if (ns < 1e6) return (ns / 1e3).toFixed(3) + "us";
    if (ns < 1e9) return (ns / 1e6).toFixed(3) + "ms";
    return (ns / 1e9).toFixed(3) + "s";
  }
  function colour(i) {
    return "hsl(" + Math.round((i * 137.508) % 360) + ",62%,48%)";
  }
  function count(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }
  function pct(x, total) {
    return (100 * x / total).toFixed(4) + "%";
  }

  var byId = {}; /* span id -> [trace, span] for links and details */
  var total = 0;
  data.traces.forEach(function (t) {
    t.spans.forEach(function (s) { byId[s.id] = [t, s]; total++; });
  });

  document.getElementById("summary").textContent =
    data.traces.length + " traces, " + total + " spans, " + data.services.length +
    " services" + (data.badLines ? ", " + data.badLines + " unreadable lines" : "");
  document.getElementById("legend").innerHTML = data.services.map(function (s, i) {
    return '<span class="chip" data-service="' + esc(s.name) + '"><span class="dot" style="background:' +
      colour(i) + '"></span>' + esc(s.name) + "</span>";
  }).join("");

  function traceHtml(t) {
    var dur = Math.max(t.dur, 1), out = [], orphans = 0, roots = 0, errors = 0, dups = 0;
    var svcs = {}, start = {}, skewed = 0;
    t.spans.forEach(function (s) { if (!(s.id in start)) start[s.id] = s.t; });
    t.spans.forEach(function (s) {
      s.skew = s.p in start && s.o !== 1 && s.t < start[s.p];
      if (s.skew) skewed++;
      if (s.o === 1) orphans++;
      else if (!s.p || s.o === 2) { if (!s.dup) roots++; }
      if (s.st === 2) errors++;
      if (s.dup) dups++;
      svcs[s.s] = 1;
    });
    var root = t.spans[0];
    out.push('<section class="trace" id="trace-' + t.id + '" data-trace-id="' + t.id +
      '" data-spans="' + t.spans.length + '"><h2><span>trace <code>' + t.id + "</code></span><span>" +
      esc(root.n) + "</span><span>" + fmt(t.dur) + "</span><span>" +
      count(t.spans.length, "span", "spans") + "</span><span>" +
      count(Object.keys(svcs).length, "service", "services") + "</span>");
    function badge(n, one, many) {
      if (n) out.push('<span class="badge bad">' + count(n, one, many) + "</span>");
    }
    badge(errors, "error", "errors");
    badge(orphans, "orphan", "orphans");
    badge(roots > 1 ? roots : 0, "root", "roots");
    badge(dups, "duplicate id", "duplicate ids");
    badge(skewed, "starts before its parent", "start before their parent");
    out.push('</h2><div class="axis">');
    for (var q = 0; q <= 4; q++)
      out.push('<span style="left:' + q * 25 + '%">' + fmt(Math.round(t.dur * q / 4)) + "</span>");
    out.push('</div><div class="rows">');
    t.spans.forEach(function (s) {
      var cls = "span" + (s.st === 2 ? " error" : "") + (s.o === 1 ? " orphan" : "") +
        (s.skew ? " skewed" : "");
      var d = Math.min(s.d, 40), c = colour(s.s);
      var left = s.t / dur, width = s.u / dur;
      out.push('<div class="' + cls + '" id="span-' + s.id + '" data-span-id="' + s.id +
        '" data-parent-id="' + s.p + '" data-depth="' + s.d + '" data-service="' +
        esc(data.services[s.s].name) + '" data-trace-id="' + t.id + '" title="' + esc(s.n) +
        '"><div class="label" style="padding-left:' + (6 + d * 12) + 'px">' +
        (s.d > 40 ? "<small>&#8627;" + s.d + "</small>" : "") +
        '<span class="dot" style="background:' + c + '"></span><span class="name">' + esc(s.n) +
        '</span><span class="svc">' + esc(data.services[s.s].name) + "</span>" +
        (s.o === 1 ? '<span class="badge bad">orphan</span>' : "") +
        (s.dup ? '<span class="badge bad">dup</span>' : "") +
        (s.skew ? '<span class="badge bad" title="starts before its parent">skew</span>' : "") +
        (s.ln.length ? '<span class="badge info">&#8599;' + s.ln.length + " links</span>" : "") +
        '</div><div class="track"><div class="bar" style="left:' + pct(s.t, dur) + ";width:" +
        pct(s.u, dur) + ";background:" + c + '"></div>');
      s.ev.forEach(function (e) {
        out.push('<i class="tick" style="left:' + pct(Math.min(e[0], dur), dur) + '" title="' +
          esc(e[1]) + " +" + fmt(Math.max(0, e[0] - s.t)) + '"></i>');
      });
      /* The duration inside a wide bar, else after it, else (at the right
       * edge) before it. */
      var pos = width > 0.15 ? 'class="dur in" style="left:' + pct(s.t, dur)
        : left + width < 0.85 ? 'class="dur" style="left:' + pct(s.t + s.u, dur)
        : 'class="dur before" style="right:' + pct(dur - s.t, dur);
      out.push("<span " + pos + '">' + fmt(s.u) + "</span></div></div>");
    });
    out.push("</div></section>");
    return out.join("");
  }

  var main = document.getElementById("traces");
  main.innerHTML = data.traces.map(traceHtml).join("");

  function table(rows) {
    if (!rows.length) return "<p>none</p>";
    return "<table>" + rows.map(function (r) {
      return "<tr><td>" + esc(r[0]) + "</td><td>" + r[1] + "</td></tr>";
    }).join("") + "</table>";
  }
  function attrRows(a) {
    return a.map(function (kv) { return [kv[0], esc(kv[1])]; });
  }

  var details = document.getElementById("details"), selected = null;
  function show(spanId) {
    var hit = byId[spanId];
    if (!hit) return;
    var t = hit[0], s = hit[1], svc = data.services[s.s];
    if (selected) selected.classList.remove("selected");
    selected = document.getElementById("span-" + s.id);
    if (selected) selected.classList.add("selected");
    var parent = s.p ? (byId[s.p] ? '<a href="#span-' + s.p + '" data-goto="' + s.p + '">' + s.p + "</a>"
      : s.p + (s.o === 2 ? " (outside these files: the entry)" : " (missing: orphan)")) : "none (root)";
    var html = '<button class="close" title="close">&times;</button><h3>' + esc(s.n) + "</h3>" +
      table([["service", esc(svc.name)], ["kind", KINDS[s.k] || s.k],
        ["status", STATUS[s.st] + (s.m ? ": " + esc(s.m) : "")],
        ["duration", fmt(s.u)], ["start", "+" + fmt(s.t) + " in the trace"],
        ["trace id", "<code>" + t.id + "</code>"], ["span id", "<code>" + s.id + "</code>"],
        ["parent", parent], ["scope", esc(s.sc)]]) +
      "<h4>attributes</h4>" + table(attrRows(s.a)) +
      "<h4>events</h4>" + (s.ev.length ? s.ev.map(function (e) {
        return "<p><b>" + esc(e[1]) + "</b> +" + fmt(Math.max(0, e[0] - s.t)) + "</p>" + table(attrRows(e[2]));
      }).join("") : "<p>none</p>") +
      "<h4>links</h4>" + (s.ln.length ? s.ln.map(function (l) {
        var here = byId[l[1]] ? ' <a href="#span-' + l[1] + '" data-goto="' + l[1] + '">show</a>' : "";
        return "<p><code>" + l[0] + "/" + l[1] + "</code>" + here + "</p>" + table(attrRows(l[2]));
      }).join("") : "<p>none</p>") +
      "<h4>resource</h4>" + table(attrRows(svc.res));
    details.innerHTML = html;
    details.hidden = false;
    document.body.classList.add("with-details");
  }

  main.addEventListener("click", function (ev) {
    var row = ev.target.closest(".span");
    if (row) { show(row.getAttribute("data-span-id")); return; }
    var h = ev.target.closest("section.trace > h2");
    if (h) h.parentNode.classList.toggle("collapsed");
  });
  details.addEventListener("click", function (ev) {
    if (ev.target.classList.contains("close")) {
      details.hidden = true;
      document.body.classList.remove("with-details");
      if (selected) selected.classList.remove("selected");
      return;
    }
    var go = ev.target.getAttribute("data-goto");
    if (go) {
      ev.preventDefault();
      var row = document.getElementById("span-" + go);
      if (row) row.scrollIntoView({ block: "center" });
      show(go);
    }
  });
  /* page.html#span=<id> opens that span's details. */
  if (location.hash.indexOf("#span=") === 0) show(location.hash.slice(6));
  /* For tests: how many span rows the script drew, and how long it took. */
  document.body.setAttribute("data-rendered", String(document.querySelectorAll(".span").length));
  document.body.setAttribute("data-render-ms", String(Math.round(performance.now() - t0)));
})();
