// The open risk-flag banner on every staff page: poll the clinic's open flags and redraw the
// banner, so a new flag appears within one polling interval without a reload. The poll is
// marked passive so it never keeps an idle session signed in.
(function () {
  "use strict";
  var box = document.getElementById("risk-banner");
  if (!box) { return; }
  var url = box.getAttribute("data-poll-url");
  var seconds = parseInt(box.getAttribute("data-poll-seconds") || "15", 10);
  function poll() {
    fetch(url, {
      credentials: "same-origin",
      headers: { "X-KetaCare-Passive": "1", "Accept": "application/json" }
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      return response.ok && type.indexOf("json") >= 0 ? response.json() : null;
    }).then(function (data) {
      if (!data) { return; }
      if (box.innerHTML.trim() !== data.html.trim()) { box.innerHTML = data.html; }
      var badge = document.querySelector("[data-unread]");
      if (badge) { badge.textContent = data.inbox_unread ? String(data.inbox_unread) : ""; }
      var chairs = document.querySelector("[data-chair-unread]");
      if (chairs) { chairs.textContent = data.chair_unread ? String(data.chair_unread) : ""; }
    }).catch(function () { /* offline for a moment: the next poll tries again */ });
  }
  setInterval(poll, Math.max(seconds, 2) * 1000);
})();
