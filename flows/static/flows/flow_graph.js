/* Draw a flow's graph on its admin page with the vendored mermaid (layout by mermaid). */
"use strict";
(function () {
  var source = document.getElementById("flow-diagram");
  var target = document.getElementById("flow-graph");
  if (!source || !target || !window.mermaid) return;
  var definition = JSON.parse(source.textContent);
  window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "neutral",
                              flowchart: { htmlLabels: true, curve: "basis" } });
  window.mermaid.render("flow-graph-svg", definition).then(function (result) {
    target.innerHTML = result.svg;
    target.dataset.rendered = "true";
  }, function (error) {
    target.textContent = "The graph could not be drawn: " + (error && error.message ? error.message : error);
    target.dataset.rendered = "error";
  });
})();
