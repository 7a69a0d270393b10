/* KetaCare service worker: the app shell, Learn and the patient's own discharge instructions for
   offline reading (docs/decisions/0020). Check-ins made offline are queued by pwa.js, not here: a
   POST is never replayed by the worker. */
"use strict";
const VERSION = "__VERSION__";
const SHELL_CACHE = "kc-shell-" + VERSION;
const PAGE_CACHE = "kc-pages"; // the patient's pages kept for offline reading; emptied at sign-out
const SHELL = __SHELL__;
const OFFLINE_URL = "/offline/";
// Pages kept for offline reading: Learn, the patient's own discharge instructions, the check-in form.
const KEPT = ["/me/learn/", "/me/instructions/", "/me/checkin/", "/me/"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll([...SHELL, OFFLINE_URL])).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("kc-shell-") && k !== SHELL_CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "signed-out") event.waitUntil(caches.delete(PAGE_CACHE));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  if (request.mode !== "navigate") return;
  const kept = KEPT.includes(url.pathname) && !url.search;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (kept && response.ok && !response.redirected) {
          const copy = response.clone();
          caches.open(PAGE_CACHE).then((cache) => cache.put(url.pathname, copy));
        } else if (response.redirected && new URL(response.url).pathname.startsWith("/accounts/login/")) {
          caches.delete(PAGE_CACHE); // signed out: nothing of the patient stays on the phone
        }
        return response;
      })
      .catch(() =>
        caches.match(url.pathname, { cacheName: PAGE_CACHE }).then((hit) => hit || caches.match(OFFLINE_URL))
      )
  );
});

// A push carries only {title, body, url}: a fixed text without health details (notifications.services).
self.addEventListener("push", (event) => {
  let data = { title: "KetaCare", body: "KetaCare: open the app.", url: "/me/" };
  try { data = Object.assign(data, event.data ? event.data.json() : {}); } catch (e) { /* keep the default */ }
  event.waitUntil(
    self.registration.showNotification(data.title, { body: data.body, data: { url: data.url }, icon: SHELL.find((u) => u.includes("icon-192")) })
      // Open pages of the site hear of it too (the same fixed text), so a page in front can show it.
      .then(() => self.clients.matchAll({ type: "window", includeUncontrolled: true }))
      .then((clients) => clients.forEach((client) => client.postMessage({ type: "push", title: data.title, body: data.body, url: data.url })))
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/me/", self.location.origin);
  if (target.origin !== self.location.origin) return;
  event.waitUntil(self.clients.openWindow(target.href));
});
