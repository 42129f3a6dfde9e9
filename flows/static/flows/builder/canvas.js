/* Glue between the flow's graph ({nodes, edges} of the REST API) and Drawflow, the vendored
   node editor that does the dragging, connection drawing, pan and zoom. Layout is dagre's. */
"use strict";
(function (FB) {
  // Palette families, for a server whose node types do not name theirs.
  var FAMILIES = {
    send_message: "messages", send_email: "messages",
    question: "prompts",
    api_call: "actions", database: "actions", raise_ticket: "actions", send_event: "actions",
    jump_to_flow: "actions",
    start: "logic", condition: "logic", set_variable: "logic", delay: "logic", end: "logic",
  };
  var el = FB.schemaForm.el;

  function familyOf(type) { return FAMILIES[type] || "actions"; }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function Canvas(container, nodeTypes, callbacks) {
    this.container = container;
    this.types = {};
    var self = this;
    nodeTypes.forEach(function (t) {
      self.types[t.name] = t;
      if (t.family) FAMILIES[t.name] = t.family;  // the registry's word wins over the defaults
    });
    this.callbacks = callbacks;
    this.idByKey = {};
    this.loading = false;
    var editor = this.editor = new window.Drawflow(container);
    editor.reroute = false;
    editor.zoom_min = 0.2;
    editor.zoom_max = 2;
    // Drawflow listens for Delete on its container, which has no focus after a click on an
    // edge; the document's listener below covers nodes (focused) and edges (body focused).
    editor.key = function () {};  // before start(): start() binds it
    editor.start();
    document.addEventListener("keydown", function (event) {
      if (event.target === document.body || container.contains(event.target)) self._key(event);
    });
    container.removeAttribute("tabindex");  // the nodes take the focus, not the whole canvas

    editor.on("nodeSelected", function (id) { self._selected(id); });
    editor.on("nodeUnselected", function () { self._selected(null); });
    // A click on the node already selected: Drawflow says nothing, the panel should show it.
    editor.on("clickEnd", function (event) {
      var nodeEl = event.target.closest ? event.target.closest(".drawflow-node") : null;
      if (nodeEl && !event.target.closest(".output, .input")) self._selected(nodeEl.id.slice(5));
    });
    editor.on("nodeMoved", function () { self._changed("moved"); });
    editor.on("nodeRemoved", function (id) {
      Object.keys(self.idByKey).forEach(function (key) { if (String(self.idByKey[key]) === String(id)) delete self.idByKey[key]; });
      self._selected(null);
      self._changed("removed");
    });
    editor.on("connectionCreated", function (c) { self._connected(c); });
    editor.on("connectionRemoved", function () { self._changed("disconnected"); });
    editor.on("zoom", function () { self._zoomed(); });

    container.addEventListener("dragover", function (event) { event.preventDefault(); });
    container.addEventListener("drop", function (event) {
      event.preventDefault();
      var type = event.dataTransfer.getData("application/x-flow-node-type") || event.dataTransfer.getData("text/plain");
      if (self.types[type]) self.addNode(type, event.clientX, event.clientY);
    });
  }

  Canvas.prototype._zoomed = function () {
    this.container.dataset.zoom = this.editor.zoom.toFixed(2);
  };

  Canvas.prototype._changed = function (what) {
    if (!this.loading) this.callbacks.onChange(what);
  };

  Canvas.prototype._selected = function (id) {
    if (this.loading) return;
    var data = id == null ? null : this.editor.getNodeFromId(id);
    this.callbacks.onSelect(data ? data.data.key : null);
  };

  Canvas.prototype._key = function (event) {
    var target = event.target;
    if (target.closest("input, textarea, select, [contenteditable]")) return;
    var editor = this.editor;
    if (event.key === "Delete" || event.key === "Backspace") {
      // A clicked edge wins: clicking it keeps the focus where it was (maybe on a node).
      var nodeEl = editor.connection_selected ? null : target.closest(".drawflow-node") || editor.node_selected;
      if (nodeEl) {
        event.preventDefault();
        var next = this._neighbour(nodeEl);
        editor.node_selected = null;
        editor.removeNodeId(nodeEl.id);
        if (next) next.focus();
        this.callbacks.onStatus("Node removed.");
      } else if (editor.connection_selected) {
        event.preventDefault();
        editor.removeConnection();
        this.callbacks.onStatus("Connection removed.");
      }
    } else if (event.key.indexOf("Arrow") === 0 && target.closest(".drawflow-node")) {
      // Arrows move the focused node (Shift: further), as dragging does.
      event.preventDefault();
      var moved = target.closest(".drawflow-node"), step = event.shiftKey ? 50 : 10;
      var data = editor.drawflow.drawflow.Home.data[moved.id.slice(5)];
      data.pos_x += { ArrowLeft: -step, ArrowRight: step }[event.key] || 0;
      data.pos_y += { ArrowUp: -step, ArrowDown: step }[event.key] || 0;
      moved.style.left = data.pos_x + "px";
      moved.style.top = data.pos_y + "px";
      editor.updateConnectionNodes(moved.id);
      this._changed("moved");
    } else if (event.key === "Escape" && editor.node_selected) {
      editor.node_selected.classList.remove("selected");
      editor.node_selected = null;
      this._selected(null);
    }
  };

  Canvas.prototype._neighbour = function (nodeEl) {
    var all = Array.prototype.slice.call(this.container.querySelectorAll(".drawflow-node"));
    var index = all.indexOf(nodeEl);
    return all[index + 1] || all[index - 1] || null;
  };

  /* One edge per port: a new connection from a port replaces the one it had. */
  Canvas.prototype._connected = function (c) {
    var editor = this.editor;
    var node = editor.getNodeFromId(c.output_id);
    var others = node.outputs[c.output_class].connections.filter(function (x) {
      return String(x.node) !== String(c.input_id);
    });
    var self = this;
    this.loading = true;
    others.forEach(function (x) {
      editor.removeSingleConnection(c.output_id, x.node, c.output_class, x.output);
    });
    this.loading = false;
    var port = this.portOf(node, c.output_class);
    if (others.length) this.callbacks.onStatus("Port " + port + " of " + node.data.key + " now leads to " + this.keyOf(c.input_id) + " (a port has one edge).");
    self._changed("connected");
  };

  Canvas.prototype.keyOf = function (id) {
    var node = this.editor.getNodeFromId(id);
    return node ? node.data.key : null;
  };

  Canvas.prototype.portOf = function (node, outputClass) {
    var type = this.types[node.data.type];
    var index = parseInt(outputClass.replace("output_", ""), 10) - 1;
    return type ? type.ports[index] : outputClass;
  };

  /* Classes set before Drawflow draws the node: its height (ports-N) decides where the
     connections end, so it must not change after they are routed. */
  Canvas.prototype._classes = function (type) {
    var t = this.types[type];
    return "fb-node fb-family-" + familyOf(type) + " ports-" + (t ? t.ports.length : 0);
  };

  Canvas.prototype._html = function (key, type) {
    var t = this.types[type];
    return '<div class="fb-node-head"><span class="fb-node-type">' + escapeHtml(t ? t.label : type) +
      '</span></div><div class="fb-node-key">' + escapeHtml(key) + '</div>' +
      '<div class="fb-node-badges"><span class="fb-node-problem" hidden></span><span class="fb-node-step" hidden></span></div>';
  };

  Canvas.prototype._decorate = function (id) {
    var nodeEl = this.container.querySelector("#node-" + id);
    if (!nodeEl) return;
    var node = this.editor.getNodeFromId(id);
    var type = this.types[node.data.type];
    nodeEl.tabIndex = 0;
    nodeEl.setAttribute("role", "button");
    nodeEl.dataset.key = node.data.key;
    nodeEl.dataset.type = node.data.type;
    nodeEl.setAttribute("aria-label", "Node " + node.data.key + " (" + (type ? type.label : node.data.type) + ")");
    var self = this;
    nodeEl.querySelectorAll(".outputs .output").forEach(function (out, i) {
      var port = type ? type.ports[i] : "output " + (i + 1);
      out.dataset.port = port;
      out.setAttribute("title", "Port " + port + ": drag to a node to connect");
    });
    if (!nodeEl.dataset.focusBound) {
      nodeEl.dataset.focusBound = "1";
      nodeEl.addEventListener("focus", function () { self._focus(nodeEl); });
    }
  };

  /* Focus (Tab) selects a node as a click does. */
  Canvas.prototype._focus = function (nodeEl) {
    var editor = this.editor;
    if (editor.node_selected === nodeEl) return;
    if (editor.node_selected) editor.node_selected.classList.remove("selected");
    if (editor.connection_selected) {
      editor.connection_selected.classList.remove("selected");
      editor.connection_selected = null;
    }
    editor.node_selected = nodeEl;
    nodeEl.classList.add("selected");
    this._selected(nodeEl.id.slice(5));
  };

  Canvas.prototype.nextKey = function (type) {
    if (type === "start" && !this.idByKey.start) return "start";
    for (var n = 1; ; n++) {
      var key = type + "_" + n;
      if (!this.idByKey[key]) return key;
    }
  };

  /* A node of `type` dropped at client coordinates (or, without them, near the middle). */
  Canvas.prototype.addNode = function (type, clientX, clientY) {
    var t = this.types[type], editor = this.editor;
    var rect = editor.precanvas.getBoundingClientRect();
    if (clientX === undefined) {
      var box = this.container.getBoundingClientRect();
      var count = Object.keys(this.idByKey).length;
      clientX = box.left + 60 + (count % 5) * 40;
      clientY = box.top + 60 + (count % 5) * 40;
    }
    var x = (clientX - rect.x) / editor.zoom, y = (clientY - rect.y) / editor.zoom;
    var key = this.nextKey(type);
    var id = editor.addNode(type, type === "start" ? 0 : 1, t.ports.length, Math.round(x), Math.round(y),
      this._classes(type), { key: key, type: type, config: {} }, this._html(key, type));
    this.idByKey[key] = id;
    this._decorate(id);
    this._changed("added");
    this.container.querySelector("#node-" + id).focus({ preventScroll: true });
    return key;
  };

  Canvas.prototype.load = function (graph) {
    var self = this, data = {}, id = 1;
    this.idByKey = {};
    (graph.nodes || []).forEach(function (n) {
      var t = self.types[n.type] || { ports: [], label: n.type };
      var outputs = {};
      t.ports.forEach(function (p, i) { outputs["output_" + (i + 1)] = { connections: [] }; });
      var pos = n.position || {};
      data[id] = {
        id: id, name: n.type, class: self._classes(n.type),
        data: { key: n.key, type: n.type, config: n.config || {} },
        html: self._html(n.key, n.type), typenode: false,
        inputs: n.type === "start" ? {} : { input_1: { connections: [] } },
        outputs: outputs, pos_x: pos.x || 0, pos_y: pos.y || 0,
      };
      self.idByKey[n.key] = id;
      id += 1;
    });
    (graph.edges || []).forEach(function (e) {
      var s = self.idByKey[e.source], d = self.idByKey[e.target];
      if (!s || !d || !data[d].inputs.input_1) return;
      var t = self.types[data[s].data.type];
      var index = t ? t.ports.indexOf(e.port) : -1;
      if (index < 0) return;
      var out = "output_" + (index + 1);
      data[s].outputs[out].connections.push({ node: String(d), output: "input_1" });
      data[d].inputs.input_1.connections.push({ node: String(s), input: out });
    });
    this.loading = true;
    this.editor.import({ drawflow: { Home: { data: data } } });
    Object.keys(data).forEach(function (i) { self._decorate(i); });
    var positions = (graph.nodes || []).map(function (n) { return n.position ? n.position.x + "," + n.position.y : "0,0"; });
    var unplaced = positions.length > 1 && positions.every(function (p) { return p === positions[0]; });
    if (unplaced) this.layout();
    this.loading = false;
    this.fit();
    return unplaced;
  };

  /* The graph in the API's shape. */
  Canvas.prototype.graph = function () {
    var self = this, nodes = [], edges = [];
    var data = this.editor.drawflow.drawflow.Home.data;
    Object.keys(data).forEach(function (id) {
      var n = data[id];
      nodes.push({ key: n.data.key, type: n.data.type, config: n.data.config || {},
                   position: { x: Math.round(n.pos_x), y: Math.round(n.pos_y) } });
      Object.keys(n.outputs).forEach(function (out) {
        n.outputs[out].connections.forEach(function (c) {
          edges.push({ source: n.data.key, port: self.portOf(n, out), target: data[c.node].data.key });
        });
      });
    });
    return { nodes: nodes, edges: edges };
  };

  Canvas.prototype.node = function (key) {
    var id = this.idByKey[key];
    return id ? this.editor.getNodeFromId(id) : null;
  };

  Canvas.prototype.nodeElement = function (key) {
    var id = this.idByKey[key];
    return id ? this.container.querySelector("#node-" + id) : null;
  };

  Canvas.prototype.setConfig = function (key, config) {
    var id = this.idByKey[key];
    var node = this.editor.getNodeFromId(id);
    this.editor.drawflow.drawflow.Home.data[id].data = { key: key, type: node.data.type, config: config };
    this._changed("config");
  };

  /* Rename a node; returns an error message or null. */
  Canvas.prototype.rename = function (oldKey, newKey) {
    if (newKey === oldKey) return null;
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(newKey)) return "Use letters, digits, - and _ (at most 80).";
    if (this.idByKey[newKey]) return "Another node is called " + newKey + ".";
    var id = this.idByKey[oldKey];
    delete this.idByKey[oldKey];
    this.idByKey[newKey] = id;
    this.editor.drawflow.drawflow.Home.data[id].data.key = newKey;
    var nodeEl = this.container.querySelector("#node-" + id);
    nodeEl.querySelector(".fb-node-key").textContent = newKey;
    this._decorate(id);
    this._changed("renamed");
    return null;
  };

  Canvas.prototype.select = function (key) {
    var nodeEl = this.nodeElement(key);
    if (nodeEl) nodeEl.focus();
  };

  Canvas.prototype.layout = function () {
    var data = this.editor.drawflow.drawflow.Home.data, self = this;
    var g = new window.dagre.graphlib.Graph();
    g.setGraph({ rankdir: "LR", nodesep: 30, ranksep: 70, marginx: 20, marginy: 20 });
    g.setDefaultEdgeLabel(function () { return {}; });
    Object.keys(data).forEach(function (id) {
      var nodeEl = self.container.querySelector("#node-" + id);
      g.setNode(id, { width: nodeEl.offsetWidth || 200, height: nodeEl.offsetHeight || 80 });
    });
    Object.keys(data).forEach(function (id) {
      Object.keys(data[id].outputs).forEach(function (out) {
        data[id].outputs[out].connections.forEach(function (c) { g.setEdge(id, String(c.node)); });
      });
    });
    window.dagre.layout(g);
    Object.keys(data).forEach(function (id) {
      var p = g.node(id), nodeEl = self.container.querySelector("#node-" + id);
      data[id].pos_x = Math.round(p.x - p.width / 2);
      data[id].pos_y = Math.round(p.y - p.height / 2);
      nodeEl.style.left = data[id].pos_x + "px";
      nodeEl.style.top = data[id].pos_y + "px";
    });
    Object.keys(data).forEach(function (id) { self.editor.updateConnectionNodes("node-" + id); });
    this._changed("layout");
  };

  Canvas.prototype._transform = function () {
    var e = this.editor;
    e.zoom_last_value = e.zoom;
    e.precanvas.style.transform = "translate(" + e.canvas_x + "px, " + e.canvas_y + "px) scale(" + e.zoom + ")";
    this._zoomed();
  };

  /* Fit every node on screen (zoom at most 1). */
  Canvas.prototype.fit = function () {
    var e = this.editor, data = e.drawflow.drawflow.Home.data, self = this;
    var ids = Object.keys(data);
    var W = this.container.clientWidth, H = this.container.clientHeight;
    if (!ids.length) { e.zoom = 1; e.canvas_x = 0; e.canvas_y = 0; this._transform(); return; }
    var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    ids.forEach(function (id) {
      var nodeEl = self.container.querySelector("#node-" + id);
      minX = Math.min(minX, data[id].pos_x); minY = Math.min(minY, data[id].pos_y);
      maxX = Math.max(maxX, data[id].pos_x + (nodeEl.offsetWidth || 200));
      maxY = Math.max(maxY, data[id].pos_y + (nodeEl.offsetHeight || 80));
    });
    var pad = 40;
    var zoom = Math.min(1, (W - pad) / (maxX - minX + pad), (H - pad) / (maxY - minY + pad));
    e.zoom = Math.max(e.zoom_min, zoom);
    // Drawflow scales around the canvas' centre: put the graph's centre there.
    e.canvas_x = -((minX + maxX) / 2 - W / 2) * e.zoom;
    e.canvas_y = -((minY + maxY) / 2 - H / 2) * e.zoom;
    this._transform();
  };

  Canvas.prototype.zoomIn = function () { this.editor.zoom_in(); };
  Canvas.prototype.zoomOut = function () { this.editor.zoom_out(); };

  /* Mark the nodes the server found problems in ([{node, field, message}]). */
  Canvas.prototype.setProblems = function (problems) {
    var byKey = {};
    problems.forEach(function (p) { if (p.node) (byKey[p.node] = byKey[p.node] || []).push(p.message); });
    var self = this;
    this.container.querySelectorAll(".drawflow-node").forEach(function (nodeEl) {
      var key = nodeEl.dataset.key, messages = byKey[key] || [];
      var badge = nodeEl.querySelector(".fb-node-problem");
      nodeEl.classList.toggle("fb-has-problem", messages.length > 0);
      badge.hidden = !messages.length;
      badge.textContent = messages.length === 1 ? "1 problem" : messages.length + " problems";
      badge.title = messages.join("\n");
      var base = nodeEl.getAttribute("aria-label").replace(/, \d+ problems?$/, "");
      nodeEl.setAttribute("aria-label", messages.length ? base + ", " + badge.textContent : base);
    });
    return self;
  };

  /* Paint a run's steps: visited nodes by outcome, the edges taken. */
  Canvas.prototype.showRun = function (run) {
    var self = this, container = this.container;
    this.clearRun();
    container.classList.add("fb-showing-run");
    (run.steps || []).forEach(function (step, index) {
      var nodeEl = self.nodeElement(step.node);
      if (!nodeEl) return;
      var outcome = step.error ? "failed" : (step.output && step.output.dry_run ? "dry" : "ok");
      nodeEl.classList.add("fb-visited", "fb-outcome-" + outcome);
      var badge = nodeEl.querySelector(".fb-node-step");
      badge.hidden = false;
      badge.textContent = (badge.textContent ? badge.textContent + ", " : "") + "step " + (index + 1) +
        (outcome === "dry" ? " (dry run)" : outcome === "failed" ? " (failed)" : "");
      var node = self.node(step.node);
      var type = node && self.types[node.data.type];
      if (step.port && type) {
        var out = "output_" + (type.ports.indexOf(step.port) + 1);
        container.querySelectorAll(".connection.node_out_" + nodeEl.id + "." + out).forEach(function (svg) {
          svg.classList.add("fb-taken");
        });
      }
    });
    var waiting = run.status === "waiting" || run.status === "running" || run.status === "queued";
    container.classList.toggle("fb-run-live", waiting);
  };

  Canvas.prototype.clearRun = function () {
    this.container.classList.remove("fb-showing-run", "fb-run-live");
    this.container.querySelectorAll(".fb-visited").forEach(function (n) {
      n.classList.remove("fb-visited", "fb-outcome-ok", "fb-outcome-failed", "fb-outcome-dry");
      var badge = n.querySelector(".fb-node-step");
      badge.hidden = true; badge.textContent = "";
    });
    this.container.querySelectorAll(".fb-taken").forEach(function (n) { n.classList.remove("fb-taken"); });
  };

  FB.Canvas = Canvas;
  FB.familyOf = familyOf;
  FB.el = el;
})(window.FlowBuilder = window.FlowBuilder || {});
