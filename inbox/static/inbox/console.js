/* The agent's ticket page: actions without a reload, transcript and state kept fresh. */
"use strict";
(function () {
  var page = document.getElementById("ticket-page");
  if (!page) return;
  var transcript = document.getElementById("transcript");
  var lastId = parseInt(page.dataset.lastId, 10) || 0;

  function removeIfUnavailable(id, available) {
    var form = document.getElementById(id);
    if (!form || available) return;
    var hadFocus = form.contains(document.activeElement);
    form.remove();
    if (hadFocus) document.getElementById("ticket-status").focus();
  }

  function renderCsat(state) {
    var box = document.getElementById("csat-result");
    box.textContent = "";
    var p = document.createElement("p");
    if (state.csat) {
      p.append("Customer rating: ");
      var strong = document.createElement("strong");
      strong.id = "csat-rating";
      strong.textContent = state.csat.rating + "/" + state.csat.scale;
      p.appendChild(strong);
      box.appendChild(p);
      if (state.csat.comment) {
        var quote = document.createElement("blockquote");
        quote.id = "csat-comment";
        quote.textContent = state.csat.comment;
        box.appendChild(quote);
      }
    } else if (state.status === "pending_csat") {
      p.textContent = "Waiting for the customer's rating.";
      box.appendChild(p);
    }
  }

  function applyState(state) {
    var status = document.getElementById("ticket-status");
    status.textContent = state.status_label;
    status.className = "status status-" + state.status;
    document.getElementById("ticket-assignee").textContent = state.assignee || "Unassigned";
    var note = document.getElementById("resolution");
    note.hidden = !state.resolution_note;
    document.getElementById("resolution-note").textContent = state.resolution_note;
    var key = JSON.stringify(state.csat) + state.status;
    if (page.dataset.csatKey !== key) {
      page.dataset.csatKey = key;
      renderCsat(state);
    }
    removeIfUnavailable("take-form", state.can_take);
    removeIfUnavailable("resolve-form", state.can_resolve);
    removeIfUnavailable("reply-form", state.can_reply);
  }

  var refresh = Live.poll(function () {
    return page.dataset.stateUrl + "?after=" + lastId;
  }, function (data) {
    lastId = Live.appendMessages(transcript, data.messages, lastId);
    applyState(data.ticket);
  }, 2000);

  document.getElementById("ticket-status").setAttribute("tabindex", "-1");
  Live.bindForms(page, function (body) {
    if (body.ticket) applyState(body.ticket);
    refresh();
  });
})();
