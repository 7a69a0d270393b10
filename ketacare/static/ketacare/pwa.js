/* Installable companion: registers the service worker and keeps check-ins made offline in an outbox on
   this phone, sent with their idempotency key when the connection returns (exactly once: the server
   answers a repeated key with the original check-in). docs/decisions/0020. */
(function () {
  "use strict";
  var body = document.body;
  var who = body.getAttribute("data-user") || "";
  var OUTBOX = "ketacare.outbox";
  var flushing = false;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function (registration) {
      if (!who && registration.active) registration.active.postMessage("signed-out");
    }).catch(function () { /* the site works without it */ });
  }

  function load() {
    try { return JSON.parse(window.localStorage.getItem(OUTBOX) || "[]"); } catch (e) { return []; }
  }
  function save(items) { window.localStorage.setItem(OUTBOX, JSON.stringify(items)); }
  function mine(items) { return items.filter(function (i) { return who && i.user === who; }); }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID().replace(/-/g, "");
    return String(Date.now()) + String(Math.random()).slice(2, 12);
  }

  function csrfToken() {
    try { return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }

  function show(state, text) {
    var banner = document.getElementById("offline-outbox");
    if (!banner) return;
    var waiting = mine(load()).length;
    if (waiting === 0 && !text && !banner.firstElementChild) return;
    if (!banner.firstElementChild) {
      var template = document.getElementById("offline-outbox-template");
      if (!template) return;
      banner.appendChild(template.content.cloneNode(true));
    }
    banner.querySelector("[data-outbox-count]").textContent = String(waiting);
    banner.querySelector("[data-outbox-waiting]").hidden = waiting === 0;
    var done = banner.querySelector("[data-outbox-done]");
    done.hidden = !text;
    done.textContent = text || "";
    banner.setAttribute("data-outbox-state", state);
    banner.hidden = waiting === 0 && !text;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-offline-queue")) return;
    var submitter = event.submitter;
    if (submitter && submitter.value !== form.getAttribute("data-offline-queue")) return;
    if (navigator.onLine || !who) return;
    event.preventDefault();
    var data = submitter ? new FormData(form, submitter) : new FormData(form);
    // A fresh key for this submission (a form read from the offline copy may carry an old one); the
    // same key is then sent on every retry, so the clinic stores it once.
    data.set("idempotency_key", newKey());
    var fields = [];
    data.forEach(function (value, name) { if (typeof value === "string") fields.push([name, value]); });
    var items = load();
    items.push({ user: who, url: form.getAttribute("action") || window.location.pathname, at: new Date().toISOString(), fields: fields });
    save(items);
    show("queued", "");
    window.scrollTo(0, 0);
    var banner = document.getElementById("offline-outbox");
    if (banner) banner.focus();
  });

  function sendOne(item) {
    var params = new URLSearchParams();
    item.fields.forEach(function (pair) {
      if (pair[0] !== "csrfmiddlewaretoken") params.append(pair[0], pair[1]);
    });
    params.append("csrfmiddlewaretoken", csrfToken());
    return fetch(item.url, {
      method: "POST",
      body: params,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
    });
  }

  function flush() {
    if (flushing || !navigator.onLine || !who) return;
    var pending = mine(load());
    if (!pending.length) return;
    flushing = true;
    var item = pending[0];
    sendOne(item).then(function (response) {
      var signedOut = response.redirected && response.url.indexOf("/accounts/login/") !== -1;
      if (signedOut || response.status >= 500) { flushing = false; show("waiting", ""); return null; }
      save(load().filter(function (i) { return !(i.user === item.user && i.at === item.at); }));
      flushing = false;
      if (!response.ok) {
        show("failed", "A check-in saved on this phone could not be sent. Please check in again.");
        return null;
      }
      return response.text().then(function (html) {
        show("sent", "Your check-in saved on this phone has now been sent to your clinic.");
        // Show the clinic's answer (it may be the emergency screen); DOMParser runs no scripts.
        var answer = new DOMParser().parseFromString(html, "text/html").querySelector("main");
        var main = document.querySelector("main");
        if (answer && main) main.replaceChildren.apply(main, Array.prototype.slice.call(answer.childNodes));
        flush();
      });
    }).catch(function () { flushing = false; show("waiting", ""); });
  }

  // "Turn on notifications on this phone": ask the browser's permission, subscribe with the server's
  // VAPID key and hand the subscription to the server (docs/decisions/0020).
  var pushButton = document.getElementById("enable-push");
  function b64urlToBytes(text) {
    var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }
  function askPermission() {
    if (!("Notification" in window)) return Promise.resolve("granted"); // the push subscription asks
    if (Notification.permission !== "default") return Promise.resolve(Notification.permission);
    return Notification.requestPermission();
  }
  if (pushButton && "serviceWorker" in navigator && "PushManager" in window) {
    pushButton.hidden = false;
    pushButton.addEventListener("click", function () {
      var status = document.getElementById("push-status");
      function say(text) { if (status) status.textContent = text; }
      pushButton.disabled = true;
      askPermission().then(function (permission) {
        if (permission !== "granted") {
          say("Notifications are blocked for this site. To turn them on, allow notifications for it in your browser's settings.");
          return null;
        }
        say("Turning on…");
        return navigator.serviceWorker.ready.then(function (registration) {
          return registration.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: b64urlToBytes(pushButton.getAttribute("data-vapid-key")),
          });
        }).then(function (subscription) {
          return fetch(pushButton.getAttribute("data-url"), {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
            body: JSON.stringify(subscription.toJSON()),
          });
        }).then(function (response) {
          if (!response.ok) { say("Could not turn them on. Please try again later."); return; }
          var box = document.getElementById("id_push");
          if (box) box.checked = true;
          say("Notifications are on for this phone.");
        });
      }).catch(function () {
        say("This browser could not turn on notifications. Text messages or e-mail still work.");
      }).then(function () { pushButton.disabled = false; });
    });
  }

  window.addEventListener("online", flush);
  window.addEventListener("offline", function () { show("offline", ""); });
  window.setInterval(flush, 20000);
  show("start", "");
  flush();
})();
