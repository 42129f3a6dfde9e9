/* The queue page: its table is fetched again every 3 s, so every tab is live. */
"use strict";
(function () {
  var box = document.getElementById("queue-table");
  if (!box) return;
  setInterval(function () {
    if (box.contains(document.activeElement)) return; // do not pull a focused button away
    fetch(box.dataset.rowsUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) box.innerHTML = html; })
      .catch(function () {});
  }, 3000);
})();
