{% autoescape off %}// Cầu Nối's service worker (caunoi/core/pwa.py says what it keeps and why).
"use strict";
importScripts({% for url in workbox %}"{{ url }}"{% if not forloop.last %}, {% endif %}{% endfor %});

var OFFLINE = "{{ offline }}";

self.skipWaiting();
workbox.core.clientsClaim();
workbox.core.setCacheNameDetails({ prefix: "caunoi" });

// The offline page and the files every page needs, fetched when the worker is installed.
workbox.precaching.precacheAndRoute([
  { url: OFFLINE, revision: "{{ revision }}" }{% for url in precache %},
  { url: "{{ url }}", revision: null }{% endfor %}
]);
workbox.precaching.cleanupOutdatedCaches();

// Static files: from the cache once fetched (a new version has a new name).
workbox.routing.registerRoute(
  function (options) { return options.url.origin === self.location.origin && options.url.pathname.indexOf("{{ static_prefix }}") === 0; },
  new workbox.strategies.CacheFirst({
    cacheName: "caunoi-static",
    plugins: [new workbox.expiration.ExpirationPlugin({ maxEntries: 120, maxAgeSeconds: 60 * 24 * 3600 })]
  })
);

// Pages: from the network only, never kept (they carry patient data); offline, the offline page.
workbox.routing.registerRoute(
  function (options) { return options.request.mode === "navigate"; },
  new workbox.strategies.NetworkOnly()
);
workbox.routing.setCatchHandler(function (options) {
  if (options.request.mode === "navigate") {
    return workbox.precaching.matchPrecache(OFFLINE).then(function (page) { return page || Response.error(); });
  }
  return Promise.resolve(Response.error());
});
{% endautoescape %}
{% autoescape off %}
// Forms kept on this device while the link was down (core/drafts.js): sent when it is back.
self.caunoiDraftsConfig = { keyUrl: "{{ drafts.keyUrl }}", receivedUrl: "{{ drafts.receivedUrl }}", loginUrl: "{{ drafts.loginUrl }}" };
importScripts("{{ drafts_script }}");
self.addEventListener("sync", function (event) {
  if (event.tag !== self.caunoiDrafts.syncTag) { return; }
  event.waitUntil(self.caunoiDrafts.sendAll().then(function (results) {
    return self.clients.matchAll({ type: "window" }).then(function (windows) {
      windows.forEach(function (w) { w.postMessage({ drafts: results }); });
      // A form still waiting makes the browser try again later.
      if (results.some(function (r) { return r.outcome === "later"; })) { throw new Error("forms wait"); }
    });
  }));
});

// Web push (caunoi/notifications/channels.py): show the notification; a click opens its page.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || "Cầu Nối", {
    body: data.body || "", tag: data.tag || "", data: { url: data.url || "/" },
    icon: "{{ icon }}", badge: "{{ icon }}", lang: "vi"
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  if (url.origin !== self.location.origin) { url = new URL("/", self.location.origin); }
  event.waitUntil(self.clients.matchAll({ type: "window" }).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if (windows[i].url === url.href && "focus" in windows[i]) { return windows[i].focus(); }
    }
    return self.clients.openWindow(url.href);
  }));
});
{% endautoescape %}
