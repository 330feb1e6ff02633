/* inboxapp analytics session cache: window.__inboxAnalyticsCache.{get,put,keys,clear}.
 * Loaded once in the page head (/js/analytics_cache.js, see inboxapp/state/browser.py); the
 * analytics state calls it by name through rx.call_script.
 *
 * One sessionStorage key, "inboxapp.analytics.v1", holds
 *   {"user": "<user id>", "entries": {"<key>": {"t": "<tab>", "ts": <ms>, "data": {...}}},
 *    "order": ["<least recently used key>", ..., "<most recently used key>"]}
 * Keys are "<user>|<workspace>|<tab>|<window>|<parts>". Entries live 10 minutes; at most 20 are
 * kept (the least recently used go first). A box that belongs to another user (or cannot be
 * parsed) is dropped before anything is read or written. Only API payloads are stored.
 */
(function (root) {
  "use strict";
  var VERSION = 1;
  if (root.__inboxAnalyticsCache && root.__inboxAnalyticsCache.version === VERSION) return;

  var STORAGE_KEY = "inboxapp.analytics.v1";
  var TTL_MS = 10 * 60 * 1000;
  var MAX_ENTRIES = 20;

  function create(storage, clock) {
    var now = clock || function () { return Date.now(); };

    function empty(user) {
      return { user: user, entries: {}, order: [] };
    }

    function drop() {
      try { storage.removeItem(STORAGE_KEY); } catch (e) { /* storage unavailable */ }
    }

    // The box of `user`, without expired or dangling entries (another user's box is dropped).
    function load(user) {
      var raw = null;
      try { raw = storage.getItem(STORAGE_KEY); } catch (e) { return empty(user); }
      if (raw === null) return empty(user);
      var box = null;
      try { box = JSON.parse(raw); } catch (e) { box = null; }
      if (!box || typeof box !== "object" || box.user !== user || !box.entries ||
          typeof box.entries !== "object" || !Array.isArray(box.order)) {
        drop();
        return empty(user);
      }
      var t = now(), fresh = empty(user), seen = {};
      for (var i = 0; i < box.order.length; i++) {
        var key = box.order[i], entry = box.entries[key];
        if (typeof key !== "string" || seen[key] || !entry || typeof entry.ts !== "number") continue;
        if (t - entry.ts >= TTL_MS || entry.ts - t > TTL_MS) continue;  // expired, or clock skew
        seen[key] = true;
        fresh.entries[key] = entry;
        fresh.order.push(key);
      }
      return fresh;
    }

    // Persist, evicting least recently used entries beyond the bound or when storage is full.
    function save(box) {
      while (box.order.length > MAX_ENTRIES) delete box.entries[box.order.shift()];
      for (;;) {
        if (!box.order.length) { drop(); return false; }
        try {
          storage.setItem(STORAGE_KEY, JSON.stringify(box));
          return true;
        } catch (e) {
          delete box.entries[box.order.shift()];
        }
      }
    }

    function touch(box, key) {
      var at = box.order.indexOf(key);
      if (at >= 0) box.order.splice(at, 1);
      box.order.push(key);
    }

    return {
      version: VERSION,
      storageKey: STORAGE_KEY,
      ttlMs: TTL_MS,
      maxEntries: MAX_ENTRIES,
      // {key: {ts, age, data}} for the keys found (null when none); hits become most recent.
      get: function (user, keys) {
        if (!user) return null;
        var box = load(user), hits = {}, found = false;
        for (var i = 0; i < keys.length; i++) {
          var entry = box.entries[keys[i]];
          if (!entry) continue;
          hits[keys[i]] = { ts: entry.ts, age: Math.max(0, now() - entry.ts), data: entry.data };
          touch(box, keys[i]);
          found = true;
        }
        if (found) save(box);
        return found ? hits : null;
      },
      put: function (user, key, tab, data) {
        if (!user || typeof key !== "string" || key.indexOf(user + "|") !== 0) return false;
        var box = load(user);
        box.entries[key] = { t: tab, ts: now(), data: data };
        touch(box, key);
        return save(box);
      },
      keys: function (user) {
        return load(user).order.slice();
      },
      clear: drop,
    };
  }

  var api = null;
  try {
    if (root.sessionStorage) api = create(root.sessionStorage);
  } catch (e) { api = null; }  // storage disabled: every read is a miss
  if (!api) {
    api = {
      version: VERSION, storageKey: STORAGE_KEY, ttlMs: TTL_MS, maxEntries: MAX_ENTRIES,
      get: function () { return null; }, put: function () { return false; },
      keys: function () { return []; }, clear: function () {},
    };
  }
  api.create = create;
  root.__inboxAnalyticsCache = api;
})(typeof window !== "undefined" ? window : globalThis);
