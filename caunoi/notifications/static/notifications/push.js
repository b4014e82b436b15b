// "Allow on this device": the browser's permission, a subscription to its push service with the
// server's VAPID key, sent to the server (notifications/channels.py). The service worker shows
// what arrives (core/sw.js).
(function () {
  "use strict";
  var button = document.getElementById("push-allow");
  if (!button) { return; }
  var state = document.getElementById("push-state");
  var T = JSON.parse(document.getElementById("push-text").textContent);

  function key(base64url) {
    var text = window.atob(base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4));
    var out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { out[i] = text.charCodeAt(i); }
    return out;
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    button.disabled = true;
    state.textContent = T.unsupported;
    return;
  }
  button.addEventListener("click", function () {
    button.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { throw new Error("denied"); }
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(button.getAttribute("data-key")) });
    }).then(function (subscription) {
      return fetch(button.getAttribute("data-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": document.querySelector("input[name=csrfmiddlewaretoken]").value },
        body: JSON.stringify(subscription.toJSON())
      });
    }).then(function (response) {
      if (!response.ok) { throw new Error("refused"); }
      state.textContent = T.allowed;
    }).catch(function (error) {
      state.textContent = error && error.message === "denied" ? T.denied : T.failed;
      button.disabled = false;
    });
  });
})();
