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

  function renderNotes(notes) {
    var list = document.getElementById("notes-list");
    if (!list || !notes) return;
    notes.forEach(function (n) {
      if (list.querySelector('[data-id="' + n.id + '"]')) return;
      var li = document.createElement("li");
      li.dataset.id = n.id;
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = n.author;
      var text = document.createElement("p");
      text.className = "text";
      text.textContent = n.text;
      li.append(who, " ", text);
      list.appendChild(li);
    });
  }

  function applyState(state) {
    renderNotes(state.notes);
    document.getElementById("ticket-position").textContent = state.queue_position ? "#" + state.queue_position : "—";
    document.getElementById("ticket-group").textContent = state.group || "—";
    document.getElementById("ticket-tags").textContent = (state.tags || []).join(", ") || "—";
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
    removeIfUnavailable("transfer-form", state.can_transfer);
  }

  var refresh = Live.poll(function () {
    return page.dataset.stateUrl + "?after=" + lastId;
  }, function (data) {
    lastId = Live.appendMessages(transcript, data.messages, lastId);
    applyState(data.ticket);
  }, 2000);

  /* Canned responses: "#" plus letters in the reply box offers the bot's saved replies
     (rendered for this ticket); Enter, Tab or a click puts one in place of "#word". */
  var reply = document.getElementById("reply-text");
  var list = document.getElementById("canned-list");
  var canned = null;
  var active = 0;
  function token() {
    var before = reply.value.slice(0, reply.selectionStart);
    var match = before.match(/(^|\s)#([-\w]*)$/);
    return match ? { start: before.length - match[2].length - 1, word: match[2].toLowerCase() } : null;
  }
  function matches(word) {
    return (canned || []).filter(function (c) {
      return !c.error && (c.shortcut.toLowerCase().indexOf(word) === 0 || c.text.toLowerCase().indexOf(word) >= 0);
    }).slice(0, 8);
  }
  function close() { list.hidden = true; list.textContent = ""; reply.removeAttribute("aria-activedescendant"); }
  function choose(item) {
    var t = token();
    if (!t) return close();
    var end = reply.selectionStart;
    reply.value = reply.value.slice(0, t.start) + item.text + reply.value.slice(end);
    var caret = t.start + item.text.length;
    reply.setSelectionRange(caret, caret);
    close();
    reply.focus();
  }
  function show() {
    var t = token();
    if (!t) return close();
    var found = matches(t.word);
    if (!found.length) return close();
    active = Math.min(active, found.length - 1);
    list.textContent = "";
    found.forEach(function (item, i) {
      var li = document.createElement("li");
      li.id = "canned-" + item.shortcut;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === active ? "true" : "false");
      li.className = i === active ? "active" : "";
      var key = document.createElement("strong");
      key.textContent = "#" + item.shortcut;
      li.append(key, " ", item.text);
      li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(item); });
      list.appendChild(li);
    });
    reply.setAttribute("aria-activedescendant", "canned-" + found[active].shortcut);
    list.hidden = false;
    list._items = found;
  }
  if (reply && list) {
    reply.addEventListener("input", function () {
      if (canned === null && token()) {
        canned = [];
        fetch(reply.dataset.cannedUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { canned: [] }; })
          .then(function (data) { canned = data.canned; show(); });
      }
      active = 0;
      show();
    });
    reply.addEventListener("keydown", function (e) {
      if (list.hidden || !list._items) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : list._items.length - 1)) % list._items.length;
        show();
      } else if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        choose(list._items[active]);
      } else if (e.key === "Escape") {
        close();
      }
    });
    reply.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  document.getElementById("ticket-status").setAttribute("tabindex", "-1");
  Live.bindForms(page, function (body) {
    if (body.ticket) applyState(body.ticket);
    refresh();
  });
})();
