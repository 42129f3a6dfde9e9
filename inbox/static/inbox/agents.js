/* The supervisor's agents view: status, load and time in status, polled every 3 s. */
"use strict";
(function () {
  var page = document.getElementById("agents-page");
  if (!page) return;
  function since(seconds) {
    if (seconds < 60) return seconds + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min";
    return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min";
  }
  function render(agents) {
    agents.forEach(function (a) {
      var row = document.getElementById("agent-row-" + a.id);
      if (!row) return;
      var status = row.querySelector(".agent-status span");
      status.textContent = a.status_label;
      status.className = "status status-" + a.status;
      row.querySelector(".agent-load").textContent = a.active_tickets + " / " + a.max_concurrent;
      row.querySelector(".agent-since").textContent = since(a.seconds_in_status);
    });
  }
  document.querySelectorAll(".agent-since").forEach(function (cell) {
    cell.textContent = since(parseInt(cell.dataset.seconds, 10) || 0);
  });
  setInterval(function () {
    fetch(page.dataset.stateUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) render(data.agents); })
      .catch(function () {});
  }, 3000);
})();
