// Chair board: re-fetch the live fragment every 10 seconds (no inline script: strict CSP).
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) return;
  var url = board.getAttribute("data-board-url");
  var status = document.querySelector("[data-board-status]");
  function stamp() {
    var tiles = board.querySelector("[data-updated]");
    if (status && tiles) status.textContent = "Last update " + tiles.getAttribute("data-updated");
  }
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) {
        if (r.redirected || !r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      })
      .then(function (html) {
        board.innerHTML = html;
        stamp();
      })
      .catch(function () {
        if (status) status.textContent = "Connection lost — retrying.";
      });
  }
  // The server's time in the clinic's zone and 24-hour clock, like every time on the tiles:
  // the tablet's own clock and locale may differ (it read 12:51:39 PM beside 07:51).
  stamp();
  setInterval(refresh, 10000);
})();
