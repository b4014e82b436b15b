// Small behaviours that need the browser; no framework, no inline script (CSP).
(function () {
  "use strict";
  // Ask before destructive actions: <button data-confirm="Question?">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  // Picking a province reloads the commune list of the facility filter.
  document.addEventListener("change", function (event) {
    if (event.target.id === "id_province") {
      var commune = document.getElementById("id_commune");
      if (commune) { commune.value = ""; }
    }
  });
})();
