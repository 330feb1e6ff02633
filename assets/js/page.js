/* inboxapp page helpers: window.inboxapp.{replaceState, pushLead, timeZone, scrollToEnd, ...}
 * and the infinite scroll of buttons marked data-autoload.
 * Loaded once in the page head (/js/page.js, see inboxapp/state/browser.py); the states call
 * them by name through rx.call_script.
 */
(function (root) {
  "use strict";
  var app = (root.inboxapp = root.inboxapp || {});

  // Rewrite the address bar's query without a navigation (no page load runs again), only while
  // it still shows `clientId` (a late call never lands on another workspace's URL). The keys in
  // `drop` are removed first; then each key of `params` is set, or removed when its value is
  // empty.
  app.replaceState = function (clientId, params, drop) {
    var loc = root.location;
    var u = new URL(loc.href);
    if (u.searchParams.get("clientId") !== clientId) return;
    (drop || []).forEach(function (k) { u.searchParams.delete(k); });
    Object.keys(params || {}).forEach(function (k) {
      var v = params[k];
      if (v) { u.searchParams.set(k, v); } else { u.searchParams.delete(k); }
    });
    var next = u.pathname + u.search + u.hash;
    if (next !== loc.pathname + loc.search + loc.hash) {
      root.history.replaceState(root.history.state, "", next);
    }
  };

  // Open conversation `leadId` ("" closes it) in a new history entry, so Back steps to the
  // previous conversation; only while the URL still shows `clientId`.
  app.pushLead = function (clientId, leadId) {
    var u = new URL(root.location.href);
    if (u.searchParams.get("clientId") !== clientId) return;
    if ((u.searchParams.get("leadId") || "") === (leadId || "")) return;
    if (leadId) { u.searchParams.set("leadId", leadId); } else { u.searchParams.delete("leadId"); }
    root.history.pushState(root.history.state, "", u.pathname + u.search + u.hash);
  };

  // Back / Forward inside the inbox: hand the address bar's leadId to the page through its
  // hidden "nav-lead" input (its change event reaches the state like a typed value).
  app.followHistory = function () {
    var el = document.getElementById("nav-lead");
    if (!el) return;
    var lead = new URL(root.location.href).searchParams.get("leadId") || "";
    var setter = Object.getOwnPropertyDescriptor(root.HTMLInputElement.prototype, "value").set;
    setter.call(el, lead + "#" + Date.now());
    el.dispatchEvent(new Event("input", { bubbles: true }));
  };
  if (root.addEventListener) { root.addEventListener("popstate", app.followHistory); }

  // A scrolling region must be reachable from the keyboard (axe-core scrollable-region-
  // focusable): Radix's scroll areas (wide tables) get a tab stop when they appear.
  app.focusableScrollAreas = function () {
    document.querySelectorAll("[data-radix-scroll-area-viewport]:not([tabindex])")
      .forEach(function (el) { el.setAttribute("tabindex", "0"); });
  };
  if (root.MutationObserver && root.document) {
    var watch = function () {
      app.focusableScrollAreas();
      new root.MutationObserver(app.focusableScrollAreas)
        .observe(document.body, { childList: true, subtree: true });
    };
    if (document.body) { watch(); } else { root.addEventListener("DOMContentLoaded", watch); }
  }

  // Infinite scroll: a button marked data-autoload ("Load more") clicks itself while it is on
  // screen and enabled, so scrolling to the end of a list loads the next page (and a short page
  // fills the pane); the button stays for the keyboard and for assistive technology.
  var onScreen = new root.Set();
  // Measured now (an observer's last word can be a layout late): inside the window and every
  // scrolling ancestor.
  var visible = function (el) {
    var r = el.getBoundingClientRect();
    if (r.bottom <= 0 || r.top >= root.innerHeight || r.height === 0) return false;
    for (var p = el.parentElement; p; p = p.parentElement) {
      if (/(auto|scroll|hidden)/.test(root.getComputedStyle(p).overflowY)) {
        var b = p.getBoundingClientRect();
        if (r.bottom <= b.top || r.top >= b.bottom) return false;
      }
    }
    return true;
  };
  var autoload = function () {
    onScreen.forEach(function (el) {
      if (!el.isConnected) { onScreen.delete(el); return; }
      if (!el.disabled && el.getAttribute("aria-busy") !== "true" && visible(el)) { el.click(); }
    });
  };
  var seen = root.IntersectionObserver && new root.IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (e.isIntersecting) { onScreen.add(e.target); } else { onScreen.delete(e.target); }
    });
    autoload();
  });
  app.watchAutoload = function () {
    if (!seen) return;
    document.querySelectorAll("[data-autoload]:not([data-autoload-watched])").forEach(function (el) {
      el.setAttribute("data-autoload-watched", "");
      seen.observe(el);
    });
    autoload();
  };
  if (root.MutationObserver && root.document) {
    var follow = function () {
      app.watchAutoload();
      new root.MutationObserver(app.watchAutoload)
        .observe(document.body, { childList: true, subtree: true, attributes: true,
                                  attributeFilter: ["disabled"] });
    };
    if (document.body) { follow(); } else { root.addEventListener("DOMContentLoaded", follow); }
  }

  // The browser's IANA time zone ("UTC" when it cannot tell).
  app.timeZone = function () {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  };

  // Scroll the element `id` to its end (the conversation thread after it loads).
  app.scrollToEnd = function (id) {
    var el = document.getElementById(id);
    if (el) { el.scrollTop = el.scrollHeight; }
  };
})(typeof window !== "undefined" ? window : globalThis);
