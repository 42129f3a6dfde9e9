/* The node settings form, generated from a node type's JSON Schema (`config_schema`):
   one labelled control per property, selects for enums, number bounds, required marks,
   help text, the server's problems under their field, and raw JSON only on request. */
"use strict";
(function (FB) {
  // Help the schemas do not carry yet (a schema's own `description` wins).
  var HELP = {
    "api_call.url": "The address to call; a template, e.g. https://crm.example.com/tickets/{{ event.ticket.id }}",
    "api_call.method": "HTTP method (POST when empty).",
    "api_call.headers": "Request headers; values are templates.",
    "api_call.body": "JSON whose strings are templates, or a template text.",
    "api_call.timeout_seconds": "Seconds before the call is abandoned (at most 30).",
    "api_call.retries": "Attempts after a failed call (0 to 5).",
    "api_call.save_as": "Saves the response as vars.<name> for the nodes after this one.",
    "api_call.sign": "Signs the body with the bot's secret (X-Signature header).",
    "condition.expression": "An expression over the run's data, e.g. event.ticket.category == 'billing'. Leaves by true or false.",
    "send_message.text": "The message the customer receives; a template.",
    "question.text": "The question the customer is asked; the run waits for the answer.",
    "question.save_as": "The answer is saved as vars.<name>.",
    "set_variable.name": "Saved as vars.<name>.",
    "set_variable.value": "A template text, or JSON.",
    "database.table": "The studio table to read or write.",
    "database.key": "Columns that find the row; values are templates.",
    "database.values": "Columns to write; values are templates.",
    "database.save_as": "Saves the row as vars.<name>.",
    "raise_ticket.subject": "The ticket's subject; a template.",
    "raise_ticket.group": "The agent group that takes it (the bot's agents when empty).",
    "send_email.to": "Recipient address(es); a template.",
    "delay.until": "A date and time (ISO 8601); a template.",
    "jump_to_flow.flow": "The other flow's name or id.",
    "end.status": "How the run ends.",
  };
  var LABELS = { url: "URL", save_as: "Save as", timeout_seconds: "Timeout (seconds)", to: "To" };
  var LONG_TEXT = ["text", "expression", "body", "message", "value", "until"];
  var NOT_TEMPLATES = ["save_as", "name", "method", "operation", "status", "sign"];

  function humanize(name) {
    if (LABELS[name]) return LABELS[name];
    var text = name.replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (attrs[key] === true) node.setAttribute(key, "");
      else if (attrs[key] !== false && attrs[key] !== undefined && attrs[key] !== null) node.setAttribute(key, attrs[key]);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* What kind of control a property needs. */
  function kindOf(prop) {
    if (!prop || typeof prop !== "object") return "json";
    if (Array.isArray(prop.enum)) return "enum";
    var type = prop.type;
    if (!type && Array.isArray(prop.oneOf)) {
      var types = prop.oneOf.map(function (p) { return p.type; });
      if (types.indexOf("string") >= 0) return "string";
      if (types.indexOf("integer") >= 0 || types.indexOf("number") >= 0) return "number";
    }
    if (type === "boolean") return "boolean";
    if (type === "integer" || type === "number") return "number";
    if (type === "string") return "string";
    if (type === "object") return "object";
    if (type === "array") return "list";
    return "json";
  }

  function acceptsNumber(prop) {
    return Array.isArray(prop && prop.oneOf) && prop.oneOf.some(function (p) {
      return p.type === "integer" || p.type === "number";
    });
  }

  /* A key/value rows editor for object properties (headers, key, values). */
  function objectEditor(id, value, onChange) {
    var box = el("div", { "class": "fb-kv", id: id, role: "group" });
    var rows = el("div", { "class": "fb-kv-rows" });
    box.appendChild(rows);
    function emit() {
      var out = {};
      rows.querySelectorAll(".fb-kv-row").forEach(function (row) {
        var inputs = row.querySelectorAll("input");
        if (inputs[0].value.trim()) out[inputs[0].value.trim()] = inputs[1].value;
      });
      onChange(out);
    }
    function addRow(k, v) {
      var index = rows.children.length + 1;
      var row = el("div", { "class": "fb-kv-row" });
      var keyInput = el("input", { type: "text", "aria-label": "Name " + index, placeholder: "name", value: k || "" });
      var valueInput = el("input", { type: "text", "aria-label": "Value " + index, placeholder: "value", value: v || "" });
      var remove = el("button", { type: "button", "class": "fb-small", "aria-label": "Remove row " + index }, "×");
      keyInput.addEventListener("input", emit);
      valueInput.addEventListener("input", emit);
      remove.addEventListener("click", function () { row.remove(); emit(); });
      row.appendChild(keyInput); row.appendChild(valueInput); row.appendChild(remove);
      rows.appendChild(row);
      return keyInput;
    }
    Object.keys(value || {}).forEach(function (k) {
      var v = value[k];
      addRow(k, typeof v === "string" ? v : JSON.stringify(v));
    });
    var add = el("button", { type: "button", "class": "fb-small" }, "Add a row");
    add.addEventListener("click", function () { addRow("", "").focus(); });
    box.appendChild(add);
    return box;
  }

  /* render(container, options) draws the form. options: nodeType, config, problems
     ([{field, message}]), variables (["event.ticket.id", ...]), onChange(config). */
  function render(container, options) {
    var nodeType = options.nodeType, schema = nodeType.config_schema || {};
    var config = JSON.parse(JSON.stringify(options.config || {}));
    var props = schema.properties || {};
    var required = schema.required || [];
    var problems = options.problems || [];
    container.textContent = "";

    function changed(name, value) {
      if (value === undefined || value === "") delete config[name];
      else config[name] = value;
      options.onChange(JSON.parse(JSON.stringify(config)));
    }

    var fields = el("div", { "class": "fb-fields" });
    container.appendChild(fields);
    var general = problems.filter(function (p) { return !p.field || !(p.field in props); });
    if (general.length) {
      var list = el("ul", { "class": "fb-node-errors errorlist" });
      general.forEach(function (p) { list.appendChild(el("li", {}, p.message)); });
      fields.appendChild(list);
    }
    if (!Object.keys(props).length) {
      fields.appendChild(el("p", { "class": "help" }, "This node has no settings."));
    }
    Object.keys(props).forEach(function (name) {
      var prop = props[name] || {};
      var kind = kindOf(prop);
      var id = "fb-field-" + name;
      var isRequired = required.indexOf(name) >= 0;
      var row = el("div", { "class": "fb-field fb-field-" + kind, "data-field": name });
      var label = el("label", { "for": id }, prop.title || humanize(name));
      row.appendChild(label);
      // Outside the label, so the field's accessible name stays its label; `required` says it.
      if (isRequired) row.appendChild(el("span", { "class": "fb-required", "aria-hidden": "true", title: "required" }, "*"));
      var value = config[name];
      var control;
      if (kind === "enum") {
        control = el("select", { id: id, required: isRequired });
        if (!isRequired || value === undefined) control.appendChild(el("option", { value: "" }, "—"));
        prop.enum.forEach(function (option) {
          var o = el("option", { value: String(option) }, String(option));
          if (value === option) o.selected = true;
          control.appendChild(o);
        });
        control.addEventListener("change", function () {
          var picked = prop.enum.filter(function (o) { return String(o) === control.value; });
          changed(name, picked.length ? picked[0] : undefined);
        });
      } else if (kind === "boolean") {
        control = el("input", { type: "checkbox", id: id });
        control.checked = value === true;
        control.addEventListener("change", function () { changed(name, control.checked ? true : undefined); });
      } else if (kind === "number") {
        var min = prop.minimum !== undefined ? prop.minimum : prop.exclusiveMinimum;
        control = el("input", { type: "number", id: id, required: isRequired, min: min, max: prop.maximum,
                                step: prop.type === "integer" ? "1" : "any",
                                value: value === undefined ? "" : value });
        if (prop.default !== undefined) control.placeholder = String(prop.default);
        control.addEventListener("input", function () {
          changed(name, control.value === "" ? undefined : Number(control.value));
        });
      } else if (kind === "object") {
        control = objectEditor(id, value, function (out) { changed(name, Object.keys(out).length ? out : undefined); });
        control.setAttribute("aria-labelledby", id + "-label");
        label.id = id + "-label";
        label.removeAttribute("for");
      } else if (kind === "list") {
        control = el("input", { type: "text", id: id, required: isRequired,
                                value: Array.isArray(value) ? value.join(", ") : (value || "") });
        control.addEventListener("input", function () {
          var items = control.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
          changed(name, items.length ? items : undefined);
        });
      } else {
        var long = kind === "json" || LONG_TEXT.indexOf(name) >= 0 || (prop.maxLength || 0) > 4000;
        var shown = value === undefined ? "" : (typeof value === "string" ? value : JSON.stringify(value, null, 2));
        control = el(long ? "textarea" : "input", { id: id, required: isRequired,
                                                    maxlength: prop.maxLength, rows: long ? 3 : undefined,
                                                    type: long ? undefined : "text", spellcheck: "false" });
        control.value = shown;
        if (prop.pattern) control.setAttribute("pattern", prop.pattern);
        control.addEventListener("input", function () {
          var text = control.value;
          if (kind === "json" && /^\s*[[{]/.test(text)) {
            try { changed(name, JSON.parse(text)); return; } catch (e) { /* a template text then */ }
          }
          if (kind === "string" && acceptsNumber(prop) && /^\d+$/.test(text.trim())) {
            changed(name, Number(text.trim()));
            return;
          }
          changed(name, text === "" ? undefined : text);
        });
      }
      row.appendChild(control);
      var described = [];
      var help = prop.description || HELP[nodeType.name + "." + name];
      if (help) {
        var helpEl = el("div", { "class": "help", id: id + "-help" }, help);
        row.appendChild(helpEl);
        described.push(helpEl.id);
      }
      var isTemplate = (kind === "string" || kind === "json" || kind === "object") && !prop.pattern &&
        NOT_TEMPLATES.indexOf(name) < 0;
      if (isTemplate && options.variables && options.variables.length) {
        row.appendChild(variableList(options.variables, control, name === "expression"));
      }
      problems.filter(function (p) { return p.field === name; }).forEach(function (p, i) {
        var error = el("p", { "class": "fb-field-error errornote", id: id + "-error-" + i }, p.message);
        row.appendChild(error);
        row.classList.add("fb-field-has-error");
        described.push(error.id);
        control.setAttribute("aria-invalid", "true");
      });
      if (described.length) control.setAttribute("aria-describedby", described.join(" "));
      fields.appendChild(row);
    });

    // Raw JSON, only when asked for.
    var raw = el("details", { "class": "fb-raw" });
    raw.appendChild(el("summary", {}, "Edit as JSON"));
    var rawId = "fb-raw-config";
    raw.appendChild(el("label", { "for": rawId }, "Settings as JSON"));
    var area = el("textarea", { id: rawId, rows: 8, spellcheck: "false" });
    area.value = JSON.stringify(config, null, 2);
    var rawError = el("p", { "class": "fb-field-error", role: "alert" });
    area.addEventListener("input", function () {
      try {
        var parsed = JSON.parse(area.value);
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("an object is needed");
        rawError.textContent = "";
        config = parsed;
        options.onChange(JSON.parse(JSON.stringify(config)));
      } catch (e) {
        rawError.textContent = "Not applied: " + e.message;
      }
    });
    raw.addEventListener("toggle", function () { if (!raw.open) render(container, Object.assign({}, options, { config: config })); });
    raw.appendChild(area);
    raw.appendChild(rawError);
    container.appendChild(raw);
  }

  /* The variables a template field can use, as buttons that insert them at the cursor. */
  function variableList(variables, control, bare) {
    var box = el("details", { "class": "fb-vars" });
    box.appendChild(el("summary", {}, "Variables (" + variables.length + ")"));
    var list = el("div", { "class": "fb-vars-list" });
    variables.forEach(function (name) {
      var button = el("button", { type: "button", "class": "fb-var", title: "Insert " + name }, name);
      button.addEventListener("click", function () {
        if (control.tagName !== "INPUT" && control.tagName !== "TEXTAREA") return;
        var text = bare ? name : "{{ " + name + " }}";
        var start = control.selectionStart || control.value.length, end = control.selectionEnd || start;
        control.value = control.value.slice(0, start) + text + control.value.slice(end);
        control.dispatchEvent(new Event("input", { bubbles: true }));
        control.focus();
      });
      list.appendChild(button);
    });
    box.appendChild(list);
    return box;
  }

  /* Replace the problems shown under the fields without redrawing the form (the user may be
     typing in it). */
  function showProblems(container, problems) {
    container.querySelectorAll(".fb-fields .fb-field-error, .fb-node-errors").forEach(function (n) { n.remove(); });
    container.querySelectorAll(".fb-field-has-error").forEach(function (row) {
      row.classList.remove("fb-field-has-error");
      var control = row.querySelector("[aria-invalid]");
      if (control) control.removeAttribute("aria-invalid");
    });
    var fields = container.querySelector(".fb-fields");
    if (!fields) return;
    var general = [];
    problems.forEach(function (p, i) {
      var row = p.field ? fields.querySelector('.fb-field[data-field="' + CSS.escape(p.field) + '"]') : null;
      if (!row) { general.push(p); return; }
      var control = row.querySelector("input, select, textarea, .fb-kv");
      var error = el("p", { "class": "fb-field-error errornote", id: "fb-field-" + p.field + "-error-" + i }, p.message);
      row.appendChild(error);
      row.classList.add("fb-field-has-error");
      if (control) {
        control.setAttribute("aria-invalid", "true");
        var ids = (control.getAttribute("aria-describedby") || "").split(" ").filter(function (x) {
          return x && document.getElementById(x); });
        ids.push(error.id);
        control.setAttribute("aria-describedby", ids.join(" "));
      }
    });
    if (general.length) {
      var list = el("ul", { "class": "fb-node-errors errorlist" });
      general.forEach(function (p) { list.appendChild(el("li", {}, p.message)); });
      fields.insertBefore(list, fields.firstChild);
    }
  }

  FB.schemaForm = { render: render, showProblems: showProblems, humanize: humanize, el: el };
})(window.FlowBuilder = window.FlowBuilder || {});
