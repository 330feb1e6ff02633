/* inboxapp keyboard shortcuts: window.inboxapp.installKeyboard() and
 * window.inboxapp.submitOnCtrlEnter(key, info, formId).
 * Loaded once in the page head (/js/keyboard.js, see inboxapp/state/browser.py).
 *
 * The inbox installs the shortcuts when it loads (once per page; later calls do nothing):
 *   j / ArrowDown on a row: next conversation    k / ArrowUp on a row: previous one
 *   Enter / Space on a row: open it               /: focus the search box
 *   r: focus the reply box                        Escape: close the conversation (or leave a
 *   u: mark the open conversation unread             text field)
 *   x: check the row (bulk actions)                ?: the shortcut sheet
 * Keys with Alt, Ctrl or Meta, and keys typed into form fields, are left alone.
 */
(function (root) {
  "use strict";
  var app = (root.inboxapp = root.inboxapp || {});

  app.installKeyboard = function () {
    if (root.__inboxKeys) return;
    root.__inboxKeys = true;
    document.addEventListener("keydown", function (e) {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      var t = e.target;
      var tag = (t && t.tagName) || "";
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) {
        if (e.key === "Escape" && t.blur) t.blur();
        return;
      }
      var onRow = !!(t && t.getAttribute && t.getAttribute("data-testid") === "inbox-row");
      var onList = !!(t && t.id === "inbox-listbox");
      var rows = Array.from(document.querySelectorAll('[data-testid="inbox-row"]'));
      var cur = rows.findIndex(function (r) { return r.getAttribute("aria-selected") === "true"; });
      var go = function (i) {
        var r = rows[Math.max(0, Math.min(rows.length - 1, i))];
        if (r) { r.focus(); r.click(); r.scrollIntoView({ block: "nearest" }); }
      };
      if (onList && (e.key === "ArrowDown" || e.key === "ArrowUp" || e.key === "Home")) {
        e.preventDefault(); go(e.key === "ArrowUp" ? rows.length - 1 : 0);
      } else if (onRow && e.key === "Home") {
        e.preventDefault(); go(0);
      } else if (onRow && e.key === "End") {
        e.preventDefault(); go(rows.length - 1);
      } else if (e.key === "j" || (onRow && e.key === "ArrowDown")) {
        e.preventDefault(); go(onRow ? rows.indexOf(t) + 1 : cur + 1);
      } else if (e.key === "k" || (onRow && e.key === "ArrowUp")) {
        e.preventDefault(); go(onRow ? rows.indexOf(t) - 1 : Math.max(cur - 1, 0));
      } else if (onRow && (e.key === "Enter" || e.key === " ")) {
        e.preventDefault(); t.click();
      } else if (e.key === "/") {
        var s = document.getElementById("inbox-search");
        if (s) { e.preventDefault(); s.focus(); }
      } else if (e.key === "?") {
        var sheet = document.querySelector('[data-testid="shortcuts-open"]');
        if (sheet) { e.preventDefault(); sheet.click(); }
      } else if (e.key === "x") {
        var row = onRow ? t : rows[cur];
        var check = row && row.querySelector('[data-testid="row-check"]');
        if (check) { e.preventDefault(); check.click(); }
      } else if (e.key === "u") {
        var unread = document.querySelector('[data-testid="mark-unread"]');
        if (unread && !unread.disabled) { e.preventDefault(); unread.click(); }
      } else if (e.key === "r") {
        var box = document.getElementById("reply-input");
        if (box) { e.preventDefault(); box.focus(); }
      } else if (e.key === "Escape" &&
          !document.querySelector("[data-radix-popper-content-wrapper]")) {
        var close = document.querySelector('[data-testid="conversation-close"]');
        if (close) { e.preventDefault(); close.click(); }
      }
    });
  };

  // A text area's key handler (Reflex passes the key and its modifiers): Ctrl/Cmd+Enter submits
  // the form `formId`, entirely in the browser (no event per key).
  app.submitOnCtrlEnter = function (key, info, formId) {
    if (key === "Enter" && info && (info.ctrl_key || info.meta_key)) {
      var form = document.getElementById(formId);
      if (form) form.requestSubmit();
    }
  };
})(typeof window !== "undefined" ? window : globalThis);
