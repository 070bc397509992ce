// Chair board: re-fetch the live fragment every 10 seconds (no inline script: strict CSP).
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) return;
  var url = board.getAttribute("data-board-url");
  var status = document.querySelector("[data-board-status]");
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) {
        if (r.redirected || !r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      })
      .then(function (html) {
        board.innerHTML = html;
        if (status) status.textContent = "Last update " + new Date().toLocaleTimeString();
      })
      .catch(function () {
        if (status) status.textContent = "Connection lost — retrying.";
      });
  }
  setInterval(refresh, 10000);
})();
