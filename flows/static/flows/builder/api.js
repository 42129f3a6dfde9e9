/* The builder's calls to the REST API: session cookie + CSRF header, JSON in and out. */
"use strict";
(function (FB) {
  function csrfToken() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  /* request(method, url, body) -> Promise of {status, ok, data}; never rejects on HTTP errors,
     so callers decide what a 400 or a 404 means (a 404 on /draft/ means "no drafts yet"). */
  function request(method, url, body) {
    var init = { method: method, credentials: "same-origin",
                 headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text.slice(0, 300) }; }
        return { status: response.status, ok: response.ok, data: data };
      });
    }, function (error) {
      return { status: 0, ok: false, data: { detail: "The server could not be reached (" + error.message + ")." } };
    });
  }

  /* A message for the user from an error response ({"detail"} or {"field": [...]}). */
  function errorText(result) {
    var data = result.data;
    if (!data) return "HTTP " + result.status;
    if (typeof data.detail === "string") return data.detail;
    var parts = [];
    Object.keys(data).forEach(function (key) {
      var value = data[key];
      parts.push(key + ": " + (Array.isArray(value) ? value.map(function (v) {
        return typeof v === "string" ? v : JSON.stringify(v); }).join("; ") : JSON.stringify(value)));
    });
    return parts.join(" · ") || "HTTP " + result.status;
  }

  FB.api = {
    get: function (url) { return request("GET", url); },
    put: function (url, body) { return request("PUT", url, body); },
    post: function (url, body) { return request("POST", url, body === undefined ? {} : body); },
    errorText: errorText,
  };
})(window.FlowBuilder = window.FlowBuilder || {});
