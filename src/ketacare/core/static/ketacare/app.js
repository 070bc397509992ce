// Move focus to an error summary so keyboard and screen-reader users land on what to fix.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }
});

// Idle sign-out that never loses typing: activity on the page keeps the session alive;
// when the clinic's idle time passes with no activity, reload so the server signs out
// and the screen no longer shows patient data.
(function () {
  "use strict";
  var body = document.body;
  var idleSeconds = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  var keepaliveUrl = body.getAttribute("data-keepalive-url");
  if (!idleSeconds || !keepaliveUrl) { return; }
  var lastActivity = Date.now();
  var lastPing = Date.now();
  function csrfToken() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function activity() {
    lastActivity = Date.now();
    // Ping at most once a minute while the user is working.
    if (Date.now() - lastPing > 60000) {
      lastPing = Date.now();
      fetch(keepaliveUrl, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } });
    }
  }
  ["keydown", "pointerdown", "input", "scroll"].forEach(function (name) {
    document.addEventListener(name, activity, { passive: true });
  });
  setInterval(function () {
    if (Date.now() - lastActivity > idleSeconds * 1000) { window.location.reload(); }
  }, 15000);
})();
