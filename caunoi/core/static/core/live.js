// Live updates over one websocket (/ws/live/): the notification bell, and refreshes of the
// consultation pages and queues when something changes. Pages work without it; this only
// spares the reload. Reconnects with a growing pause when the link drops.
(function () {
  "use strict";
  var path = document.body.getAttribute("data-live");
  if (!path || !window.WebSocket) { return; }
  var socket = null;
  var pause = 1000;

  function subscriptions() {
    var out = [];
    document.querySelectorAll("[data-live-consult]").forEach(function (el) {
      out.push({ subscribe: "consult", id: el.getAttribute("data-live-consult") });
    });
    if (document.querySelector("[data-live-queues]")) { out.push({ subscribe: "queues" }); }
    return out;
  }

  function refresh(selector, target) {
    var el = document.querySelector(selector);
    if (!el || !window.htmx) { return; }
    window.htmx.ajax("GET", window.location.pathname + window.location.search, {
      target: selector, select: selector, swap: "outerHTML", headers: { "HX-Target": target }
    });
  }

  function toast(text, url) {
    var box = document.getElementById("toast");
    if (!box || !text) { return; }
    box.textContent = "";
    var link = document.createElement("a");
    link.href = url || "#";
    link.textContent = text;
    box.appendChild(link);
    box.hidden = false;
    window.clearTimeout(box._timer);
    box._timer = window.setTimeout(function () { box.hidden = true; }, 8000);
  }

  function onMessage(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    if (data.type === "notification") {
      var count = document.getElementById("bell-count");
      if (count && typeof data.unread === "number") {
        count.textContent = data.unread > 99 ? "99+" : String(data.unread);
        count.hidden = data.unread === 0;
      }
      if (data.title) { toast(data.title, data.url); }
    } else if (data.type === "consult") {
      if (document.querySelector('[data-live-consult="' + data.id + '"]')) {
        refresh("#consult-live", "consult-live");
        var actions = document.getElementById("consult-actions");
        var typing = actions && actions.contains(document.activeElement);
        if (actions && !typing && data.event !== "message") { refresh("#consult-actions", "consult-actions"); }
      }
      if (document.querySelector("[data-live-queues]")) { refresh("#queue", "queue"); }
    }
    document.dispatchEvent(new CustomEvent("caunoi:live", { detail: data }));
  }

  // The websocket server (settings.LIVE_WS_URL, in <body data-ws-origin>): this page's origin
  // when the attribute is absent (nginx passes /ws/ on), ":PORT" for this host on another port,
  // or a whole "ws[s]://host[:port]". room.js does the same.
  function socketUrl(wsPath) {
    var origin = document.body.getAttribute("data-ws-origin") || "";
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    if (!origin) { return scheme + window.location.host + wsPath; }
    if (origin.charAt(0) === ":") { return scheme + window.location.hostname + origin + wsPath; }
    return origin + wsPath;
  }

  function connect() {
    socket = new WebSocket(socketUrl(path));
    window.caunoiSocket = socket;
    socket.onopen = function () {
      pause = 1000;
      subscriptions().forEach(function (s) { socket.send(JSON.stringify(s)); });
      document.body.setAttribute("data-live-state", "open");
    };
    socket.onmessage = onMessage;
    socket.onclose = function (event) {
      document.body.setAttribute("data-live-state", "closed");
      if (event.code === 4401) { return; }
      window.setTimeout(connect, pause);
      pause = Math.min(pause * 2, 30000);
    };
  }
  connect();
})();
