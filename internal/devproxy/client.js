// golocal dev client: reloads the page when the app changes, swaps
// stylesheets on CSS-only changes and shows build errors over the page.
// Injected by the golocal dev front; it never runs in production.
// It uses no innerHTML and no inline styles (only the CSSOM), so it runs
// under strict CSP and Trusted Types; compiler output is shown as text.
(function () {
  "use strict";
  if (window.__golocalClient) return;
  window.__golocalClient = true;

  var script = document.currentScript;
  var params = script ? new URL(script.src, location.href).searchParams : new URLSearchParams();
  var version = params.get("v") || "";
  var overlayPage = document.documentElement.hasAttribute("data-golocal-overlay");
  var backoff = 250;
  var reloading = false;
  var initialFailure = false;
  var host = null;

  var es = null;
  // leaving: a navigation or form submission of this page is in flight. A
  // reload now would cancel it (a POST's redirect, and the flash message
  // with it, would be lost); the page it loads comes from the new version
  // anyway, so the reload waits, and happens only if the page stays.
  var leaving = false;
  var leavingTimer = 0;
  var deferred = false;

  function reload() {
    if (reloading) return;
    if (leaving) {
      deferred = true;
      return;
    }
    reloading = true;
    location.reload();
  }

  function stayed() {
    // The navigation did not replace the page (a 204, a download, a
    // canceled submission): a deferred reload happens now.
    leaving = false;
    clearTimeout(leavingTimer);
    if (deferred) {
      deferred = false;
      reload();
    }
  }

  window.addEventListener("beforeunload", function () {
    leaving = true;
    clearTimeout(leavingTimer);
    leavingTimer = setTimeout(stayed, 10000);
  });

  // A page parked in the back/forward cache must not keep its stream open:
  // Chromium allows six connections per host, and parked pages holding
  // them make the next navigation wait for a free one. The stream closes
  // on pagehide and opens again on pageshow; hello then tells a restored
  // page whether it missed a reload.
  window.addEventListener("pagehide", function () {
    if (es) {
      es.close();
      es = null;
    }
  });
  window.addEventListener("pageshow", function (e) {
    if (!e.persisted) return;
    leaving = false;
    deferred = false;
    reloading = false;
    clearTimeout(leavingTimer);
    if (!es) connect();
  });

  function connect() {
    var stream = new EventSource("/__golocal/events");
    es = stream;
    stream.addEventListener("hello", function (e) {
      backoff = 250;
      var d = JSON.parse(e.data);
      initialFailure = d.failed;
      if (!d.failed && (d.version !== version || overlayPage)) {
        reload();
        return;
      }
      if (!d.failed) hideOverlay();
    });
    stream.addEventListener("build-failed", function (e) {
      if (overlayPage) {
        // The page itself shows the failure it was served with; a newer
        // one is rendered by reloading it.
        if (initialFailure) initialFailure = false;
        else reload();
        return;
      }
      showOverlay(JSON.parse(e.data));
    });
    stream.addEventListener("reload", reload);
    stream.addEventListener("css", function (e) {
      swapStyles(JSON.parse(e.data).paths || []);
    });
    stream.onerror = function () {
      // EventSource retries network errors by itself; an HTTP error closes
      // it for good, so retry that with a backoff.
      if (stream.readyState === EventSource.CLOSED && es === stream) {
        es = null;
        setTimeout(function () { if (!es) connect(); }, backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    };
  }

  function base(path) {
    var i = path.lastIndexOf("/");
    return i >= 0 ? path.slice(i + 1) : path;
  }

  function swapStyles(paths) {
    var names = paths.map(function (p) { return base(p.split("\\").join("/")); });
    var links = document.querySelectorAll('link[rel~="stylesheet"][href]');
    var swapped = 0;
    Array.prototype.forEach.call(links, function (link) {
      var url = new URL(link.href, location.href);
      if (url.origin !== location.origin || names.indexOf(base(url.pathname)) < 0) return;
      url.searchParams.set("golocal", String(Date.now()));
      var next = link.cloneNode(false);
      next.href = url.href;
      next.onload = function () { link.remove(); };
      next.onerror = function () { next.remove(); };
      link.after(next);
      swapped++;
    });
    // A stylesheet reached another way (@import, a <style> the app renders)
    // needs the page itself.
    if (swapped === 0) reload();
  }

  function el(tag, css, text) {
    var e = document.createElement(tag);
    if (css) e.style.cssText = css;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function hideOverlay() {
    if (host) {
      host.remove();
      host = null;
    }
  }

  function showOverlay(failure) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () { showOverlay(failure); }, { once: true });
      return;
    }
    var diags = failure.diagnostics || [];
    hideOverlay();
    host = document.createElement("golocal-overlay");
    host.style.cssText = "position:fixed;inset:0;z-index:2147483647;display:block";
    var root = host.attachShadow({ mode: "open" });
    var panel = el("div", "position:absolute;inset:0;overflow:auto;background:rgba(20,20,24,.96);color:#eee;" +
      "font:15px/1.5 system-ui,sans-serif;padding:2rem 1.5rem;box-sizing:border-box");
    var head = el("div", "display:flex;justify-content:space-between;align-items:center;max-width:60rem;margin:0 auto 1rem");
    head.appendChild(el("h1", "color:#ff6b6b;font-size:1.4rem;margin:0", failure.title || "Build failed"));
    var close = el("button", "background:none;border:1px solid #666;color:#eee;border-radius:4px;cursor:pointer;font-size:1rem", "×");
    close.setAttribute("aria-label", "Hide this message");
    close.addEventListener("click", hideOverlay);
    head.appendChild(close);
    panel.appendChild(head);
    diags.forEach(function (d) {
      var box = el("section", "max-width:60rem;margin:0 auto 1.5rem");
      var loc = d.file || "";
      if (d.file && d.line) loc += ":" + d.line + (d.column ? ":" + d.column : "");
      if (loc) box.appendChild(el("div", "font:600 14px ui-monospace,monospace;color:#7cc4ff", loc));
      box.appendChild(el("div", "white-space:pre-wrap;font:14px ui-monospace,monospace;margin:.3rem 0", d.message));
      if (d.excerpt && d.excerpt.length) {
        var pre = el("pre", "background:#111;padding:.6rem .8rem;overflow:auto;border-radius:6px;font:13px/1.45 ui-monospace,monospace;margin:.3rem 0");
        d.excerpt.forEach(function (l) {
          var row = el("div", l.mark ? "background:#5a1d1d" : "");
          row.appendChild(el("span", "color:#777;user-select:none", String(l.n).padStart(5, " ") + "  "));
          row.appendChild(document.createTextNode(l.text));
          pre.appendChild(row);
        });
        box.appendChild(pre);
      }
      panel.appendChild(box);
    });
    panel.appendChild(el("p", "max-width:60rem;margin:0 auto;color:#aaa", failure.hint || ""));
    root.appendChild(panel);
    document.documentElement.appendChild(host);
  }

  connect();
})();
