/* The customer's chat: send messages, see the agent's replies, answer the CSAT question. */
"use strict";
(function () {
  var page = document.getElementById("chat-page");
  if (!page) return;
  var transcript = document.getElementById("transcript");
  var lastId = parseInt(page.dataset.lastId, 10) || 0;

  function applyState(state) {
    var position = document.getElementById("queue-position");
    if (position) {
      position.hidden = !state.queue_position;
      if (state.queue_position) document.getElementById("queue-number").textContent = state.queue_position;
    }
    var csat = state.csat || {};
    var section = document.getElementById("csat");
    var thanks = document.getElementById("csat-thanks");
    section.hidden = !csat.asked;
    if (csat.rated) {
      document.getElementById("csat-given").textContent = csat.rated.rating + "/" + csat.rated.scale;
    }
    thanks.hidden = !csat.rated;
  }

  var refresh = Live.poll(function () {
    return page.dataset.stateUrl + "?after=" + lastId;
  }, function (data) {
    lastId = Live.appendMessages(transcript, data.messages, lastId);
    applyState(data);
  }, 2000);

  Live.bindForms(page, function (body, form) {
    applyState(body);
    if (form.id === "csat-form") document.getElementById("csat-thanks").focus();
    refresh();
  });
})();
