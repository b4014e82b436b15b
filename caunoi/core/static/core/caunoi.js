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
  // "Try again" on the offline page.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-reload]")) { window.location.reload(); }
  });
  // The installable app: the service worker keeps the static files and the offline page.
  if ("serviceWorker" in navigator && document.body && document.body.getAttribute("data-sw")) {
    navigator.serviceWorker.register(document.body.getAttribute("data-sw"), { scope: "/" }).catch(function () {});
  }
  // Online or not, said on every page: a bar while the link is down, a word when it is back.
  var bar = document.getElementById("net-status");
  var hideLater = null;
  function linkChanged() {
    if (!bar) { return; }
    window.clearTimeout(hideLater);
    var online = navigator.onLine;
    document.documentElement.classList.toggle("offline", !online);
    bar.textContent = bar.getAttribute(online ? "data-online" : "data-offline");
    bar.setAttribute("data-state", online ? "online" : "offline");
    bar.hidden = false;
    if (online) { hideLater = window.setTimeout(function () { bar.hidden = true; }, 4000); }
  }
  window.addEventListener("online", linkChanged);
  window.addEventListener("offline", linkChanged);
  if (!navigator.onLine) { linkChanged(); }
})();
