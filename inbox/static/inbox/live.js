/* Shared by the agent console and the customer's chat: POST a form with fetch(),
   show the server's answer in the aria-live notice, append new messages, poll. */
"use strict";
window.Live = (function () {
  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function notice(text, kind) {
    var box = document.getElementById("notice");
    if (!box) return;
    box.textContent = "";
    if (!text) return;
    var p = document.createElement("p");
    p.className = "notice-" + (kind || "success");
    p.textContent = text;
    box.appendChild(p);
  }

  function post(form, data) {
    return fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(form), "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () {
        return { detail: "The server answered " + response.status + "." };
      }).then(function (body) { return { ok: response.ok, status: response.status, body: body }; });
    }, function () {
      return { ok: false, status: 0, body: { detail: "The server cannot be reached. Try again." } };
    });
  }

  function messageItem(m) {
    var li = document.createElement("li");
    li.className = "msg msg-" + m.sender;
    li.dataset.id = m.id;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = m.label;
    var time = document.createElement("time");
    time.setAttribute("datetime", m.created_at);
    time.textContent = m.created_at.slice(11, 16);
    var text = document.createElement("p");
    text.className = "text";
    text.textContent = m.text;
    li.append(who, " ", time, text);
    return li;
  }

  /* Append the messages not shown yet; returns the id of the last one shown. */
  function appendMessages(list, messages, lastId) {
    messages.forEach(function (m) {
      if (m.id <= lastId || list.querySelector('[data-id="' + m.id + '"]')) return;
      list.appendChild(messageItem(m));
      lastId = m.id;
    });
    if (messages.length) list.scrollTop = list.scrollHeight;
    return lastId;
  }

  /* Ask `url()` every `ms` milliseconds, one request at a time. */
  function poll(url, onData, ms) {
    var busy = false;
    function tick() {
      if (busy) return;
      busy = true;
      fetch(url(), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) onData(data); })
        .catch(function () {})
        .then(function () { busy = false; });
    }
    setInterval(tick, ms || 2000);
    return tick;
  }

  /* Send forms marked .js-action with fetch(); `onDone(body, form)` gets a success. */
  function bindForms(root, onDone) {
    root.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.classList.contains("js-action")) return;
      event.preventDefault();
      // Read the form (with the pressed button's name=value) before disabling its buttons.
      var data = event.submitter ? new FormData(form, event.submitter) : new FormData(form);
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      post(form, data).then(function (result) {
        buttons.forEach(function (b) { b.disabled = false; });
        if (!result.ok) {
          notice(result.body.detail || "That did not work.", "error");
          return;
        }
        notice(result.body.detail, "success");
        if (form.dataset.reset) form.reset();
        onDone(result.body, form);
      });
    });
  }

  return { notice: notice, post: post, appendMessages: appendMessages, poll: poll, bindForms: bindForms };
})();
