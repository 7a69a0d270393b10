// Lock screen: after the idle limit with no key, click, touch or scroll, the page hides what it shows
// and points to the login page. Polling does not count as activity; the server ends the session at
// the same limit, so the next poll answers 401 and htmx follows HX-Redirect to the login page.
(function () {
  "use strict";
  var body = document.body;
  var seconds = parseInt(body.getAttribute("data-idle-lock-seconds") || "0", 10);
  if (!seconds) { return; }
  var last = Date.now();
  var locked = false;
  function activity() { if (!locked) { last = Date.now(); } }
  ["keydown", "mousedown", "touchstart", "scroll"].forEach(function (name) {
    window.addEventListener(name, activity, { passive: true, capture: true });
  });
  function lock() {
    locked = true;
    var main = document.getElementById("main");
    if (main) { main.hidden = true; }
    var panel = document.getElementById("idle-lock");
    if (panel) { panel.hidden = false; panel.focus(); }
  }
  window.setInterval(function () {
    if (!locked && Date.now() - last > seconds * 1000) { lock(); }
  }, 5000);
})();
