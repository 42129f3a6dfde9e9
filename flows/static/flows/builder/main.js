/* The flow builder on a flow's admin page: loads the draft, keeps the canvas, side panel and
   toolbar in step, autosaves (with a localStorage copy until the server has it), publishes,
   runs tests and shows the flow's figures. Data comes in with json_script; no inline script. */
"use strict";
(function (FB) {
  var configNode = document.getElementById("flow-builder-config");
  if (!configNode || !window.Drawflow) return;
  var CONFIG = JSON.parse(configNode.textContent);
  var URLS = CONFIG.urls;
  var api = FB.api, el = FB.schemaForm.el;
  var STORAGE_KEY = "flow-builder:" + CONFIG.flow;
  var AUTOSAVE_MS = 800, POLL_MS = 400;

  var root = document.getElementById("flow-builder");
  function $(id) { return document.getElementById(id); }

  var state = {
    types: [], typesByName: {}, events: [], trigger: { type: "manual" }, problems: [],
    draftApi: true, selected: null, changeCount: 0, savedCount: 0, saving: null, timer: null,
    run: null, poll: null, payloadExamples: {}, dryRunPorts: {},
  };
  var canvas = null;

  /* ---- status line ---- */
  /* Toolbar texts may end in an ellipsis (the toolbar keeps to one line): the title holds all of it. */
  function showText(node, text) {
    node.textContent = text;
    node.title = text;
  }
  function setSaveState(kind, text) {
    var node = $("fb-save-state");
    node.dataset.state = kind;
    showText(node, text);
  }
  function showSaved() {
    var n = state.problems.length;
    if (n) setSaveState("saved-problems", "Draft saved · " + n + (n === 1 ? " problem" : " problems") + " to fix before publishing");
    else setSaveState("saved", state.draftApi ? "All changes saved" : "Saved (this server publishes each save)");
  }
  function announce(text) { $("fb-announce").textContent = text; }

  /* ---- problems ---- */
  // "node 'crm': config.url: ..." / "node 'crm': config: 'url' is a required property" (the
  // whole-flow API's 400) -> {node, field, message}, as the draft endpoint returns them.
  function parseProblem(section, text) {
    var m = /^node '([^']+)': (.*)$/.exec(text);
    if (!m) return { node: null, field: section === "trigger" ? "trigger" : null, message: text };
    var rest = m[2], field = null;
    rest = rest.replace(/^config\.config: /, "config: ");
    var f = /'([A-Za-z_][A-Za-z0-9_]*)' is a required property/.exec(rest) || /^config\.([A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
    if (f) field = f[1];
    return { node: m[1], field: field, message: rest.replace(/^config(\.[A-Za-z_0-9.]+)?: /, "") };
  }
  function problemsFrom(data) {
    if (!data) return [];
    if (Array.isArray(data.problems)) return data.problems.map(function (p) {
      return typeof p === "string" ? parseProblem("", p) : p;
    });
    var out = [];
    Object.keys(data).forEach(function (section) {
      var value = data[section];
      (Array.isArray(value) ? value : [value]).forEach(function (text) {
        out.push(parseProblem(section, typeof text === "string" ? text : JSON.stringify(text)));
      });
    });
    return out;
  }
  function showProblems(problems) {
    state.problems = problems;
    canvas.setProblems(problems);
    var list = $("fb-problems");
    list.textContent = "";
    $("fb-problems-details").hidden = !problems.length;
    problems.forEach(function (p) {
      var item = el("li");
      if (p.node && canvas.node(p.node)) {
        var button = el("button", { type: "button", "class": "fb-link" }, p.node + (p.field ? " · " + p.field : ""));
        button.addEventListener("click", function () { canvas.select(p.node); });
        item.appendChild(button);
        item.appendChild(document.createTextNode(": " + p.message));
      } else {
        item.textContent = (p.node ? p.node + ": " : "") + p.message;
      }
      list.appendChild(item);
    });
    $("fb-problems-count").textContent = problems.length ? problems.length + (problems.length === 1 ? " problem" : " problems") : "";
    if (state.selected) FB.schemaForm.showProblems($("fb-node-form"), nodeProblems(state.selected));
  }
  // Under its own field, "'url' is a required property" says less than this.
  function nodeProblems(key) {
    return state.problems.filter(function (p) { return p.node === key; }).map(function (p) {
      var required = /^'([A-Za-z_0-9]+)' is a required property$/.exec(p.message);
      return required && required[1] === p.field ? { node: p.node, field: p.field, message: "Required: fill this in." } : p;
    });
  }

  /* ---- the working copy ---- */
  function current() {
    var graph = canvas.graph();
    return { trigger: state.trigger, nodes: graph.nodes, edges: graph.edges };
  }
  function remember() {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ at: new Date().toISOString(), draft: current() }));
    } catch (e) { /* storage full or off: the autosave still runs */ }
  }
  function changed() {
    state.changeCount += 1;
    remember();
    setSaveState("dirty", "Unsaved changes");
    clearTimeout(state.timer);
    state.timer = setTimeout(save, AUTOSAVE_MS);
  }

  function save() {
    clearTimeout(state.timer);
    if (state.saving) return state.saving.then(function (result) {
      return state.changeCount !== state.savedCount ? save() : result;
    });
    var count = state.changeCount, body = current();
    setSaveState("saving", "Saving…");
    var request = state.draftApi ? api.put(URLS.draft, body)
      : api.put(URLS.flow, Object.assign({ bot: CONFIG.bot, name: CONFIG.name }, body));
    state.saving = request.then(function (result) {
      state.saving = null;
      if (result.ok) {
        state.savedCount = count;
        showProblems(problemsFrom(result.data && result.data.problems ? result.data : null));
        if (state.changeCount === count) {
          try { localStorage.removeItem(STORAGE_KEY); } catch (e) { /* ignore */ }
          showSaved();
        }
        refreshFlow();
      } else if (result.status === 400) {
        showProblems(problemsFrom(result.data));
        setSaveState("invalid", "Not saved: fix the problems (your work is kept in this browser)");
      } else {
        setSaveState("error", "Not saved: " + api.errorText(result) + " (your work is kept in this browser)");
      }
      if (state.changeCount !== count) state.timer = setTimeout(save, AUTOSAVE_MS);
      return result;
    });
    return state.saving;
  }

  function refreshFlow() {
    api.get(URLS.flow).then(function (result) {
      if (!result.ok) return;
      var f = result.data, text;
      if (!("published_version" in f)) text = "";
      else if (f.published_version == null) text = "Not published yet";
      else text = "Published: version " + f.published_version + (f.has_unpublished_changes ? " · the draft has unpublished changes" : " · the draft is published");
      showText($("fb-version-state"), text);
    });
  }

  /* ---- palette ---- */
  function buildPalette() {
    var list = $("fb-palette-list");
    var families = { messages: "Messages", prompts: "Prompts", actions: "Actions", logic: "Logic" };
    Object.keys(families).forEach(function (family) {
      var types = state.types.filter(function (t) { return FB.familyOf(t.name) === family; });
      if (!types.length) return;
      var group = el("div", { "class": "fb-palette-group" });
      group.appendChild(el("h4", { "class": "fb-family-title fb-family-" + family }, families[family]));
      types.forEach(function (t) {
        var item = el("button", { type: "button", "class": "fb-palette-item fb-family-" + family,
                                   draggable: "true", "data-type": t.name,
                                   "aria-label": "Add " + t.label, "aria-describedby": "fb-palette-desc-" + t.name });
        item.appendChild(el("span", { "class": "fb-palette-label" }, t.label));
        item.appendChild(el("span", { "class": "fb-palette-desc", id: "fb-palette-desc-" + t.name }, t.description));
        item.addEventListener("dragstart", function (event) {
          event.dataTransfer.setData("application/x-flow-node-type", t.name);
          event.dataTransfer.setData("text/plain", t.name);
          event.dataTransfer.effectAllowed = "copy";
        });
        // Keyboard and click: add it near the top left of the canvas.
        item.addEventListener("click", function () { canvas.addNode(t.name); });
        group.appendChild(item);
      });
      list.appendChild(group);
    });
  }

  /* ---- variables a node's templates can read ---- */
  function flatten(value, prefix, out, depth) {
    if (out.length > 80) return out;
    if (value && typeof value === "object" && !Array.isArray(value) && depth < 4) {
      Object.keys(value).forEach(function (k) { flatten(value[k], prefix + "." + k, out, depth + 1); });
    } else {
      out.push(prefix);
    }
    return out;
  }
  function ancestors(key) {
    var edges = canvas.graph().edges, seen = {}, queue = [key];
    while (queue.length) {
      var k = queue.shift();
      edges.forEach(function (e) {
        if (e.target === k && !seen[e.source]) { seen[e.source] = true; queue.push(e.source); }
      });
    }
    return Object.keys(seen);
  }
  function variablesFor(key) {
    var out = [];
    var example = state.trigger.type === "event" ? state.payloadExamples[state.trigger.event] : null;
    if (example && typeof example === "object") flatten(example, "event", [], 0).forEach(function (p) { out.push(p); });
    else out.push("event");
    ancestors(key).forEach(function (k) {
      var n = canvas.node(k);
      if (!n) return;
      var c = n.data.config || {};
      if (c.save_as) out.push("vars." + c.save_as);
      if (n.data.type === "set_variable" && c.name) out.push("vars." + c.name);
      if (n.data.type === "raise_ticket") out.push("vars.ticket");
    });
    return out.concat(["ticket", "customer", "conversation"]).filter(function (v, i, all) { return all.indexOf(v) === i; });
  }

  /* ---- node panel ---- */
  /* Draw the node panel; `quiet` redraws it without switching to its tab (a run's update). */
  function showNode(key, quiet) {
    state.selected = key;
    var box = $("fb-node-panel");
    box.textContent = "";
    if (!key || !canvas.node(key)) {
      state.selected = null;
      box.appendChild(el("p", { "class": "help" }, "Select a node to edit its settings, or drag a node type from the palette onto the canvas (Enter on a palette item adds it too)."));
      return;
    }
    if (!quiet) selectTab("node");
    var node = canvas.node(key), type = state.typesByName[node.data.type] || { label: node.data.type, ports: [], config_schema: {} };
    box.appendChild(el("h3", { id: "fb-node-title" }, type.label));
    if (type.description) box.appendChild(el("p", { "class": "help" }, type.description));
    var keyRow = el("div", { "class": "fb-field" });
    keyRow.appendChild(el("label", { "for": "fb-node-key" }, "Node key"));
    var keyInput = el("input", { id: "fb-node-key", type: "text", value: key, "aria-describedby": "fb-node-key-help" });
    keyRow.appendChild(keyInput);
    var keyHelp = el("div", { "class": "help", id: "fb-node-key-help" }, "Names the node in edges, steps and problems.");
    keyRow.appendChild(keyHelp);
    var keyError = el("p", { "class": "fb-field-error", role: "alert" });
    keyRow.appendChild(keyError);
    function rename() {
      var error = canvas.rename(state.selected, keyInput.value.trim());
      keyError.textContent = error || "";
      if (!error) state.selected = keyInput.value.trim();
    }
    keyInput.addEventListener("change", rename);
    keyInput.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); rename(); } });
    box.appendChild(keyRow);
    if (type.ports.length) box.appendChild(el("p", { "class": "fb-ports" }, "Ports: " + type.ports.join(", ")));
    var form = el("div", { id: "fb-node-form" });
    box.appendChild(form);
    FB.schemaForm.render(form, {
      nodeType: type, config: node.data.config, problems: nodeProblems(key), variables: variablesFor(key),
      onChange: function (config) { canvas.setConfig(state.selected, config); },
    });
    if (EFFECTS.indexOf(node.data.type) >= 0 && type.ports.length > 1) box.appendChild(dryRunPortField(key, type));
    var step = state.run && (state.run.steps || []).filter(function (s) { return s.node === key; });
    if (step && step.length) box.appendChild(stepDetails(step[step.length - 1]));
    var remove = el("button", { type: "button", "class": "fb-danger", id: "fb-node-delete" }, "Delete node");
    remove.addEventListener("click", function () {
      var nodeEl = canvas.nodeElement(state.selected);
      canvas.editor.node_selected = null;
      canvas.editor.removeNodeId(nodeEl.id);
      announce("Node removed.");
    });
    box.appendChild(remove);
  }

  // Nodes that act outside the run: a dry run skips them and leaves by their success port,
  // or by the port picked here (kept in this page, sent with each test run).
  var EFFECTS = ["api_call", "send_message", "send_email", "database", "raise_ticket", "delay", "question",
                 "jump_to_flow", "send_event"];
  function dryRunPortField(key, type) {
    var row = el("div", { "class": "fb-field" });
    row.appendChild(el("label", { "for": "fb-dry-port" }, "In dry runs, leave by"));
    var select = el("select", { id: "fb-dry-port", "aria-describedby": "fb-dry-port-help" });
    select.appendChild(el("option", { value: "" }, "its success port" + (type.success_port ? " (" + type.success_port + ")" : "")));
    type.ports.forEach(function (p) {
      var o = el("option", { value: p }, p);
      if (state.dryRunPorts[key] === p) o.selected = true;
      select.appendChild(o);
    });
    select.addEventListener("change", function () {
      if (select.value) state.dryRunPorts[state.selected] = select.value;
      else delete state.dryRunPorts[state.selected];
    });
    row.appendChild(select);
    row.appendChild(el("div", { "class": "help", id: "fb-dry-port-help" }, "To try the other branches without the effect happening."));
    return row;
  }

  function stepDetails(step) {
    var box = el("section", { "class": "fb-step-details", "aria-label": "Last test run at this node" });
    box.appendChild(el("h4", {}, "Last test run here"));
    box.appendChild(el("p", {}, (step.error ? "Failed" : "Left by " + (step.port || "—")) +
      (step.duration_ms != null ? " · " + step.duration_ms + " ms" : "")));
    if (step.error) box.appendChild(el("p", { "class": "fb-field-error" }, step.error));
    box.appendChild(el("pre", { "class": "fb-step-output" }, JSON.stringify(step.output, null, 2)));
    return box;
  }

  /* ---- tabs ---- */
  function selectTab(name) {
    root.querySelectorAll(".fb-tab").forEach(function (tab) {
      var on = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      $("fb-tab-" + tab.dataset.tab).hidden = !on;
    });
    if (name === "stats") loadStats();
    if (name === "versions") loadVersions();
  }

  /* ---- trigger ---- */
  function eventByKey(key) { return state.events.filter(function (e) { return e.key === key; })[0]; }
  function renderTrigger() {
    var t = state.trigger;
    root.querySelectorAll("input[name=fb-trigger-type]").forEach(function (r) { r.checked = r.value === t.type; });
    $("fb-trigger-event-row").hidden = t.type !== "event";
    $("fb-trigger-keywords-row").hidden = t.type !== "conversation";
    var select = $("fb-trigger-event");
    select.textContent = "";
    select.appendChild(el("option", { value: "" }, "— choose an event —"));
    state.events.forEach(function (e) {
      var o = el("option", { value: e.key }, e.name + " (" + e.key + ")" + (e.is_active ? "" : " · inactive"));
      if (t.event === e.key) o.selected = true;
      select.appendChild(o);
    });
    $("fb-trigger-keywords").value = (t.keywords || []).join(", ");
    var ev = t.type === "event" ? eventByKey(t.event) : null;
    var status = $("fb-event-status");
    status.textContent = "";
    $("fb-event-activate").hidden = !ev || ev.is_active;
    if (ev) {
      status.appendChild(el("span", { "class": "fb-badge " + (ev.is_active ? "fb-badge-on" : "fb-badge-off") }, ev.is_active ? "Active" : "Inactive"));
      status.appendChild(document.createTextNode(" " + (ev.description || "") + (ev.is_active ? "" : " An inactive event starts no flows.")));
    }
    $("fb-trigger-summary").textContent = t.type === "event" ? "On " + (t.event || "…") + (ev && !ev.is_active ? " (inactive)" : "") :
      t.type === "conversation" ? "Conversation" : "Manual";
  }
  function bindTrigger() {
    root.querySelectorAll("input[name=fb-trigger-type]").forEach(function (r) {
      r.addEventListener("change", function () {
        if (r.value === "event") state.trigger = { type: "event", event: state.trigger.event || "" };
        else if (r.value === "conversation") state.trigger = { type: "conversation", keywords: state.trigger.keywords || [] };
        else state.trigger = { type: "manual" };
        renderTrigger(); changed();
      });
    });
    $("fb-trigger-event").addEventListener("change", function () {
      state.trigger = { type: "event", event: $("fb-trigger-event").value };
      renderTrigger(); changed(); fillPayload("auto");
    });
    $("fb-trigger-keywords").addEventListener("input", function () {
      state.trigger = { type: "conversation", keywords: $("fb-trigger-keywords").value.split(",").map(function (s) {
        return s.trim(); }).filter(Boolean) };
      changed();
    });
    $("fb-event-activate").addEventListener("click", function () {
      var ev = eventByKey(state.trigger.event);
      api.post("/api/events/" + ev.id + "/activate/").then(function (result) {
        if (result.ok) { ev.is_active = true; renderTrigger(); announce("Event " + ev.key + " is active."); }
        else announce("Could not activate: " + api.errorText(result));
      });
    });
  }

  /* ---- try it ---- */
  function latestOccurrence(ev) {
    return api.get(URLS.occurrences + "?event=" + ev.id + "&page_size=1").then(function (result) {
      var items = result.ok && result.data && result.data.results;
      return items && items.length ? items[0].payload : null;
    });
  }
  /* mode: "auto" (the server's pick), "example" or "occurrence". */
  function fillPayload(mode) {
    var fromOccurrence = mode === "occurrence";
    var ev = state.trigger.type === "event" ? eventByKey(state.trigger.event) : null;
    var area = $("fb-test-payload");
    if (ev && state.draftApi && mode === "auto") {
      // The server's pick: the event's latest occurrence, else its documented example.
      save().then(function () { return api.get(URLS.sample_event); }).then(function (result) {
        if (result.ok && result.data && result.data.payload) {
          area.value = JSON.stringify(result.data.payload, null, 2);
          if (result.data.event) state.payloadExamples[result.data.event] = state.payloadExamples[result.data.event] || result.data.payload;
          $("fb-test-source").textContent = result.data.source === "occurrence" ?
            "From occurrence " + result.data.occurrence + " of " + result.data.event + "." :
            result.data.source === "example" ? "From the documented example of " + result.data.event + "." : "";
        } else {
          area.value = JSON.stringify(ev.payload_example || state.payloadExamples[ev.key] || {}, null, 2);
        }
      });
      return;
    }
    if (!ev) { if (!area.value.trim()) area.value = "{}"; return; }
    if (fromOccurrence) {
      latestOccurrence(ev).then(function (payload) {
        if (payload) area.value = JSON.stringify(payload, null, 2);
        else announce("No occurrence of " + ev.key + " yet.");
      });
    } else {
      area.value = JSON.stringify(ev.payload_example || state.payloadExamples[ev.key] || {}, null, 2);
    }
  }
  function runTest() {
    var output = $("fb-test-status"), payload;
    try {
      payload = JSON.parse($("fb-test-payload").value || "{}");
      if (!payload || typeof payload !== "object" || Array.isArray(payload)) throw new Error("the payload must be a JSON object");
    } catch (e) {
      output.textContent = "The sample payload is not valid JSON: " + e.message;
      return;
    }
    output.textContent = "Saving the draft…";
    save().then(function () {
      output.textContent = "Starting the test run…";
      var body = { event: payload, dry_run: $("fb-test-dry").checked, source: "draft" };
      var ports = {};
      Object.keys(state.dryRunPorts).forEach(function (k) { if (canvas.node(k)) ports[k] = state.dryRunPorts[k]; });
      if (body.dry_run && Object.keys(ports).length) body.dry_run_ports = ports;
      return api.post(URLS.test, body);
    }).then(function (result) {
      if (!result) return;
      if (result.status === 404 || result.status === 405) {
        output.textContent = "Test runs are not available on this server yet.";
      } else if (!result.ok) {
        showProblems(problemsFrom(result.data).filter(function (p) { return p.node; }).length ? problemsFrom(result.data) : state.problems);
        output.textContent = "The test did not start: " + api.errorText(result);
      } else {
        output.textContent = "Run " + result.data.run + " started…";
        pollRun(result.data.run);
      }
    });
  }
  function pollRun(id) {
    clearTimeout(state.poll);
    api.get(URLS.runs + id + "/").then(function (result) {
      if (!result.ok) { $("fb-test-status").textContent = "The run could not be read: " + api.errorText(result); return; }
      var run = state.run = result.data;
      canvas.showRun(run);
      renderRunSteps(run);
      if (["queued", "running"].indexOf(run.status) >= 0) state.poll = setTimeout(function () { pollRun(id); }, POLL_MS);
      if (state.selected) showNode(state.selected, true);
    });
  }
  function renderRunSteps(run) {
    var status = $("fb-test-status");
    status.textContent = "";
    status.dataset.status = run.status;
    var page = run.trigger === "test" ? URLS.test_run_page : URLS.run_page;
    var link = el("a", { href: page.replace("{id}", run.id) }, (run.trigger === "test" ? "Test run " : "Run ") + run.id);
    status.appendChild(link);
    status.appendChild(document.createTextNode(": " + run.status + (run.error ? " · " + run.error : "")));
    var list = $("fb-test-steps");
    list.textContent = "";
    (run.steps || []).forEach(function (step) {
      var item = el("li", { "class": step.error ? "fb-step-failed" : "fb-step-ok" });
      var button = el("button", { type: "button", "class": "fb-link" }, step.node);
      button.addEventListener("click", function () { canvas.select(step.node); });
      item.appendChild(button);
      var dry = step.output && step.output.dry_run ? " (dry run)" : "";
      item.appendChild(document.createTextNode(" " + step.type + (step.port ? " → " + step.port : "") + dry +
        (step.error ? " · " + step.error : "")));
      list.appendChild(item);
    });
  }

  /* ---- publish and versions ---- */
  function publish() {
    var note = $("fb-publish-note").value;
    var status = $("fb-publish-status");
    showText(status, "Publishing…");
    save().then(function () { return api.post(URLS.publish, { note: note }); }).then(function (result) {
      if (result.ok) {
        showText(status, "Published version " + result.data.version + ".");
        $("fb-publish-note").value = "";
        refreshFlow();
        if (!$("fb-tab-versions").hidden) loadVersions();
      } else if (result.status === 404 || result.status === 405) {
        showText(status, state.draftApi ? "Publishing is not available on this server." :
          "This server publishes on every save (no drafts yet).");
      } else {
        if (result.status === 400) showProblems(problemsFrom(result.data));
        showText(status, "Not published: " + (result.status === 400 ? "fix the problems listed." : api.errorText(result)));
      }
    });
  }
  function loadVersions() {
    var list = $("fb-versions");
    api.get(URLS.versions).then(function (result) {
      list.textContent = "";
      if (!result.ok) { list.appendChild(el("li", {}, result.status === 404 ? "No version history on this server yet." : api.errorText(result))); return; }
      var items = Array.isArray(result.data) ? result.data : result.data.results || [];
      if (!items.length) list.appendChild(el("li", {}, "Nothing published yet."));
      items.forEach(function (v) {
        var item = el("li");
        item.appendChild(el("strong", {}, "Version " + v.version));
        item.appendChild(document.createTextNode(" · " + new Date(v.published_at).toLocaleString() +
          (v.published_by ? " · " + (v.published_by.username || v.published_by) : "") + (v.note ? " · " + v.note : "")));
        var restore = el("button", { type: "button", "class": "fb-small", "aria-label": "Restore version " + v.version + " into the draft" }, "Restore");
        restore.addEventListener("click", function () {
          save().then(function () { return api.post(URLS.versions + v.version + "/restore/"); }).then(function (r) {
            if (!r.ok) { announce("Not restored: " + api.errorText(r)); return; }
            loadDraft().then(function () { announce("Version " + v.version + " restored into the draft."); });
          });
        });
        item.appendChild(restore);
        var changes = el("button", { type: "button", "class": "fb-small", "aria-label": "What the draft changes from version " + v.version }, "Draft vs this");
        var out = el("div", { "class": "fb-diff" });
        changes.addEventListener("click", function () {
          save().then(function () { return api.get(URLS.versions + v.version + "/diff/?against=draft"); }).then(function (r) {
            out.textContent = "";
            if (!r.ok) { out.textContent = api.errorText(r); return; }
            out.appendChild(diffList(r.data));
          });
        });
        item.appendChild(changes);
        item.appendChild(out);
        list.appendChild(item);
      });
    });
  }

  function diffList(d) {
    var list = el("ul");
    function add(text) { list.appendChild(el("li", {}, text)); }
    if (d.trigger) add("Trigger: " + JSON.stringify(d.trigger.before) + " → " + JSON.stringify(d.trigger.after));
    d.nodes.added.forEach(function (n) { add("+ node " + n.key + " (" + n.type + ")"); });
    d.nodes.removed.forEach(function (n) { add("− node " + n.key + " (" + n.type + ")"); });
    d.nodes.changed.forEach(function (c) { add("~ node " + c.key + ": " + c.fields.join(", ")); });
    d.edges.added.forEach(function (e) { add("+ edge " + e.source + "." + e.port + " → " + e.target); });
    d.edges.removed.forEach(function (e) { add("− edge " + e.source + "." + e.port + " → " + e.target); });
    if (!list.children.length) add("No differences.");
    return list;
  }

  /* ---- stats ---- */
  var chart = null;
  function loadStats() {
    var box = $("fb-stats-summary");
    api.get(URLS.stats).then(function (result) {
      if (!result.ok) { box.textContent = result.status === 404 ? "Figures are not available on this server yet." : api.errorText(result); return; }
      var days = result.data.days || [];
      var labels = days.map(function (d) { return d.date.slice(5); });
      var sets = [
        { label: "Succeeded", data: days.map(function (d) { return d.succeeded; }), backgroundColor: "#2e8b57", stack: "runs" },
        { label: "Failed", data: days.map(function (d) { return d.failed; }), backgroundColor: "#c0392b", stack: "runs" },
        { label: "Waiting", data: days.map(function (d) { return d.waiting; }), backgroundColor: "#e0a800", stack: "runs" },
        { label: "p50 ms", data: days.map(function (d) { return d.p50_ms; }), type: "line", yAxisID: "ms", borderColor: "#2f6fb3", backgroundColor: "#2f6fb3" },
        { label: "p95 ms", data: days.map(function (d) { return d.p95_ms; }), type: "line", yAxisID: "ms", borderColor: "#8e44ad", backgroundColor: "#8e44ad", borderDash: [4, 3] },
      ];
      if (chart) chart.destroy();
      if (window.Chart) {
        chart = new window.Chart($("fb-stats-chart"), {
          type: "bar", data: { labels: labels, datasets: sets },
          options: { animation: false, responsive: true, maintainAspectRatio: false,
                     scales: { y: { stacked: true, beginAtZero: true, title: { display: true, text: "runs" } },
                               x: { stacked: true },
                               ms: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: "ms" } } } },
        });
      }
      var total = days.reduce(function (a, d) { return a + d.succeeded + d.failed + d.waiting; }, 0);
      var failed = days.reduce(function (a, d) { return a + d.failed; }, 0);
      box.textContent = total + " runs in " + days.length + " days, " + failed + " failed.";
      var table = $("fb-stats-table");
      table.textContent = "";
      days.forEach(function (d) {
        var row = el("tr");
        [d.date, d.succeeded, d.failed, d.waiting, d.p50_ms == null ? "—" : d.p50_ms, d.p95_ms == null ? "—" : d.p95_ms]
          .forEach(function (v, i) { row.appendChild(el(i ? "td" : "th", i ? {} : { scope: "row" }, String(v))); });
        table.appendChild(row);
      });
      var fails = $("fb-stats-failures");
      fails.textContent = "";
      (result.data.recent_failures || []).forEach(function (id) {
        var item = el("li");
        item.appendChild(el("a", { href: URLS.run_page.replace("{id}", id) }, "Run " + id));
        fails.appendChild(item);
      });
      if (!fails.children.length) fails.appendChild(el("li", {}, "No failures."));
    });
  }

  /* ---- loading ---- */
  function loadDraft() {
    return api.get(URLS.draft).then(function (result) {
      if (result.status === 404 || result.status === 405) {
        state.draftApi = false;
        return api.get(URLS.flow);
      }
      return result;
    }).then(function (result) {
      if (!result.ok) { setSaveState("error", "The flow could not be loaded: " + api.errorText(result)); return; }
      var draft = result.data, restored = false;
      try {
        var kept = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
        var server = JSON.stringify({ trigger: draft.trigger, nodes: draft.nodes, edges: draft.edges });
        if (kept && kept.draft && JSON.stringify(kept.draft) !== server) { draft = Object.assign({}, draft, kept.draft); restored = true; }
      } catch (e) { /* a broken copy is ignored */ }
      state.trigger = draft.trigger || { type: "manual" };
      performance.mark("flow-builder-draw-start");
      var laidOut = canvas.load(draft);
      performance.measure("flow-builder-draw", "flow-builder-draw-start");
      renderTrigger();
      showNode(null);
      showProblems(problemsFrom(draft.problems ? draft : null));
      showSaved();
      refreshFlow();
      if (restored) {
        announce("Unsaved changes from " + "this browser were restored; saving them now.");
        state.changeCount += 1;
        save();
      } else if (laidOut) {
        changed();
      }
      root.dataset.ready = "true";
      performance.mark("flow-builder-ready");
    });
  }

  function start() {
    Promise.all([api.get(URLS.node_types), api.get(URLS.events)]).then(function (results) {
      var types = results[0].ok ? (results[0].data.results || results[0].data) : [];
      state.types = types;
      types.forEach(function (t) { state.typesByName[t.name] = t; });
      state.events = results[1].ok ? (results[1].data.results || results[1].data) : [];
      state.events.forEach(function (e) { if (e.payload_example) state.payloadExamples[e.key] = e.payload_example; });
      canvas = new FB.Canvas($("fb-canvas"), types, {
        onChange: function () { changed(); },
        onSelect: function (key) {
          if (key !== state.selected) showNode(key);
          else if (key) selectTab("node");
        },
        onStatus: announce,
      });
      buildPalette();
      bindTrigger();
      return loadDraft();
    }).then(function () {
      if (state.trigger.type === "event") {
        var ev = eventByKey(state.trigger.event);
        if (ev && !ev.payload_example) {
          latestOccurrence(ev).then(function (payload) { if (payload) state.payloadExamples[ev.key] = payload; fillPayload("auto"); });
        } else fillPayload("auto");
      }
    });

    $("fb-save").addEventListener("click", function () { save(); });
    $("fb-zoom-in").addEventListener("click", function () { canvas.zoomIn(); });
    $("fb-zoom-out").addEventListener("click", function () { canvas.zoomOut(); });
    $("fb-fit").addEventListener("click", function () { canvas.fit(); });
    $("fb-layout").addEventListener("click", function () { canvas.layout(); canvas.fit(); });
    $("fb-publish").addEventListener("click", publish);
    $("fb-publish-note").addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); publish(); } });
    $("fb-test-run").addEventListener("click", runTest);
    $("fb-test-example").addEventListener("click", function () { fillPayload("example"); });
    $("fb-test-latest").addEventListener("click", function () { fillPayload("occurrence"); });
    root.querySelectorAll(".fb-tab").forEach(function (tab) {
      tab.addEventListener("click", function () { selectTab(tab.dataset.tab); });
    });
    // Leaving with unsaved changes: the localStorage copy brings them back on the next visit.
    window.addEventListener("pagehide", function () { if (state.changeCount !== state.savedCount) remember(); });
    window.FlowBuilder.instance = { save: save, canvas: function () { return canvas; }, state: state };
  }

  start();
})(window.FlowBuilder = window.FlowBuilder || {});
