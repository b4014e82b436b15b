// Forms kept on this device (README: "Forms kept on this device", with its threat model).
//
// A form marked data-draft (a new consultation, a patient's registration) is kept in the
// browser's IndexedDB as the worker types, photos included, encrypted with AES-GCM under a key
// the server holds for her (accounts.views.draft_key): the page asks for it while the link is
// up and holds it in memory only, never on disk. Sent while the link is down, the form waits,
// and goes when the link is back: by the service worker's Background Sync where the browser
// has it, otherwise from the next page that opens. Every form carries its client_id, which the
// server saves once; the page first asks which forms the server already holds, so a form whose
// answer was lost with the link is not sent, photos and all, a second time. Signing out deletes
// what is kept here, and the server destroys the key, so a copy of the disk reads nothing.
//
// The same file runs in the page and in the service worker (importScripts): the part that
// sends needs no document.
(function (root) {
  "use strict";
  var DB = "caunoi-drafts";
  var STORE = "drafts";
  var LOCK = "caunoi-drafts-send";
  var SYNC_TAG = "caunoi-drafts";
  var DUE = { waiting: true, sending: true };
  // A form the page is sending itself (the browser's own POST) is left to it this long.
  var SENDING_GRACE = 90 * 1000;
  var config = root.caunoiDraftsConfig || {};

  // --- storage -------------------------------------------------------------------------------
  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = root.indexedDB.open(DB, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "id" }); };
      request.onsuccess = function () {
        var db = request.result;
        db.onversionchange = function () { db.close(); };  // a sign-out elsewhere deletes it
        resolve(db);
      };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var request = work(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        t.onerror = t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }

  function all() { return withStore("readonly", function (s) { return s.getAll(); }); }
  function get(id) { return withStore("readonly", function (s) { return s.get(id); }); }
  function put(record) { return withStore("readwrite", function (s) { return s.put(record); }); }
  function remove(id) { return withStore("readwrite", function (s) { return s.delete(id); }); }

  function forget() {
    return new Promise(function (resolve) {
      var request = root.indexedDB.deleteDatabase(DB);
      request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
    });
  }

  // --- keys and sealing ----------------------------------------------------------------------
  var keys = {};  // key id -> promise of { id, key (a CryptoKey that cannot be exported), csrf }
  var current = null;

  function fetchJson(url, options) {
    var settings = { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } };
    Object.keys(options || {}).forEach(function (k) { settings[k] = options[k]; });
    return fetch(url, settings).then(function (response) {
      // Signed out, the answer is the log-in page (a redirect): no key without a session.
      if (!response.ok || response.redirected) {
        var error = new Error("HTTP " + response.status);
        error.status = response.redirected ? 401 : response.status;
        throw error;
      }
      return response.json();
    });
  }

  function bytesOf(base64url) {
    var text = root.atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
    return bytes;
  }

  function importKey(answer) {
    return root.crypto.subtle.importKey("raw", bytesOf(answer.key), { name: "AES-GCM" }, false, ["encrypt", "decrypt"])
      .then(function (key) { return { id: answer.id, key: key, csrf: answer.csrf }; });
  }

  function currentKey(csrf) {
    if (!current) {
      current = fetchJson(config.keyUrl, { method: "POST", headers: { Accept: "application/json", "X-CSRFToken": csrf } })
        .then(importKey)
        .then(function (k) { keys[k.id] = Promise.resolve(k); return k; });
      current.catch(function () { current = null; });
    }
    return current;
  }

  function keyFor(id) {
    if (!keys[id]) {
      keys[id] = fetchJson(config.keyUrl + id + "/").then(importKey);
      keys[id].catch(function (error) { if (!error.status || error.status >= 500) { delete keys[id]; } });
    }
    return keys[id];
  }

  var encoder = new TextEncoder();

  function seal(k, recordId, bytes) {
    var iv = root.crypto.getRandomValues(new Uint8Array(12));
    return root.crypto.subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: encoder.encode(recordId) }, k.key, bytes)
      .then(function (data) { return { iv: iv, data: data }; });
  }

  function unseal(k, recordId, sealed) {
    return root.crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv, additionalData: encoder.encode(recordId) }, k.key, sealed.data);
  }

  // The form's content: { url, action, title, fields: [[name, value]], files: [{field, name,
  // type}], submitter: [name, value] }, and with withFiles each file's bytes as data.
  function openRecord(record, k, withFiles) {
    return unseal(k, record.id, record.meta).then(function (plain) {
      var content = JSON.parse(new TextDecoder().decode(plain));
      if (!withFiles) { return content; }
      return Promise.all(record.files.map(function (sealed) { return unseal(k, record.id, sealed); }))
        .then(function (blobs) {
          content.files.forEach(function (f, i) { f.data = blobs[i]; });
          return content;
        });
    });
  }

  function sealRecord(k, id, kind, state, content, files) {
    var meta = encoder.encode(JSON.stringify(content));
    return Promise.all([seal(k, id, meta)].concat(files.map(function (f) {
      return f.arrayBuffer().then(function (bytes) { return seal(k, id, bytes); });
    }))).then(function (sealed) {
      return { id: id, keyId: k.id, kind: kind, state: state, savedAt: Date.now(), meta: sealed[0], files: sealed.slice(1) };
    });
  }

  // --- sending -------------------------------------------------------------------------------
  // One sender at a time across the pages and the service worker (Web Locks): two of them would
  // each send the same photos before the server's once-only answer.
  function sendAll() {
    // The service worker may outlive a sign-out and a sign-in: it asks for its keys (and their
    // CSRF token) afresh each time.
    if (typeof document === "undefined") { keys = {}; }
    var run = function () {
      return all().then(function (records) {
        var asked = records.filter(function (r) { return DUE[r.state]; });
        if (!asked.length) { return []; }
        var query = asked.map(function (r) { return "id=" + encodeURIComponent(r.id); }).join("&");
        return fetchJson(config.receivedUrl + "?" + query).then(function (answer) {
          var held = answer.received || [];
          var results = [];
          var now = Date.now();
          return asked.reduce(function (chain, record) {
            return chain.then(function () {
              var step;
              if (held.indexOf(record.id) !== -1) {
                step = remove(record.id).then(function () { return { id: record.id, outcome: "sent" }; });
              } else if (record.state === "waiting" || now - record.savedAt > SENDING_GRACE) {
                step = sendOne(record);
              } else {
                return;  // the page's own POST may still be on its way
              }
              return step.then(function (result) { results.push(result); });
            });
          }, Promise.resolve()).then(function () { return results; });
        });
      });
    };
    var locks = root.navigator && root.navigator.locks;
    return locks && locks.request ? locks.request(LOCK, run) : run();
  }

  function sendOne(record) {
    var later = function (error) { return { id: record.id, outcome: error && error.status === 404 ? "locked" : "later" }; };
    return keyFor(record.keyId).then(function (k) {
      return openRecord(record, k, true).then(function (content) {
        var body = new FormData();
        content.fields.forEach(function (f) { body.append(f[0], f[1]); });
        if (content.submitter) { body.append(content.submitter[0], content.submitter[1]); }
        body.append("csrfmiddlewaretoken", k.csrf);
        content.files.forEach(function (f) {
          body.append(f.field, new File([f.data], f.name, { type: f.type }));
        });
        return fetch(content.action, {
          method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": k.csrf }
        }).then(function (response) {
          var landed = new URL(response.url);
          var signIn = config.loginUrl && landed.pathname === config.loginUrl;
          if (response.ok && response.redirected && !signIn) {
            return remove(record.id).then(function () {
              return { id: record.id, outcome: "sent", url: response.url, title: content.title };
            });
          }
          if ((response.ok && !response.redirected) || (response.status >= 400 && response.status < 500)) {
            // The server sent the form back (a mistake, a possible duplicate, a file refused):
            // sending it again as it is would change nothing; the worker opens it. Unless she
            // changed it meanwhile.
            return get(record.id).then(function (latest) {
              if (!latest || latest.savedAt !== record.savedAt) { return later(); }
              latest.state = "attention";
              return put(latest).then(function () { return { id: record.id, outcome: "attention", title: content.title }; });
            });
          }
          return later();
        });
      });
    }, later).catch(later);
  }

  root.caunoiDrafts = { sendAll: sendAll, all: all, forget: forget, keyFor: keyFor, openRecord: openRecord, syncTag: SYNC_TAG };

  if (typeof document === "undefined") { return; }

  // --- the page ------------------------------------------------------------------------------
  var body = document.body;
  if (!body || !body.getAttribute("data-drafts") || !root.indexedDB || !root.crypto || !root.crypto.subtle) { return; }
  config.keyUrl = body.getAttribute("data-drafts");
  config.receivedUrl = body.getAttribute("data-drafts-received");
  config.loginUrl = body.getAttribute("data-login");
  var panel = document.getElementById("drafts");
  var form = document.querySelector("form[data-draft]");
  var csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  var csrf = csrfInput ? csrfInput.value : "";
  var ready = Promise.resolve();

  function say(name, values) {
    var t = (panel && panel.getAttribute("data-" + name)) || "";
    return t.replace(/%\((\w+)\)s/g, function (_m, k) { return values && values[k] !== undefined ? values[k] : ""; });
  }

  function when(ms) {
    var d = new Date(ms);
    var two = function (n) { return ("0" + n).slice(-2); };
    return two(d.getDate()) + "/" + two(d.getMonth() + 1) + "/" + d.getFullYear() + " " + two(d.getHours()) + ":" + two(d.getMinutes());
  }

  function toast(message) {
    var box = document.getElementById("toast");
    if (!box || !message) { return; }
    box.textContent = message;
    box.hidden = false;
    root.setTimeout(function () { box.hidden = true; }, 6000);
  }

  // What the form holds now, as it would be sent (the CSRF token is fetched fresh to send).
  function capture(target, submitter) {
    var fields = [];
    var files = [];
    Array.prototype.forEach.call(target.elements, function (el) {
      if (!el.name || el.disabled || el.name === "csrfmiddlewaretoken" || el.tagName === "BUTTON") { return; }
      if (el.type === "file") {
        Array.prototype.forEach.call(el.files, function (f) { files.push({ field: el.name, file: f }); });
      } else if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) { fields.push([el.name, el.value]); }
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.selectedOptions, function (o) { fields.push([el.name, o.value]); });
      } else {
        fields.push([el.name, el.value]);
      }
    });
    var named = target.getAttribute("data-draft-name");
    var name = named && target.elements[named] ? target.elements[named].value.trim() : "";
    return {
      content: {
        url: root.location.pathname + root.location.search,
        action: target.getAttribute("action") || root.location.pathname + root.location.search,
        title: target.getAttribute("data-draft-title") + (name ? ": " + name : ""),
        fields: fields,
        files: files.map(function (f) { return { field: f.field, name: f.file.name, type: f.file.type }; }),
        submitter: submitter && submitter.name ? [submitter.name, submitter.value] : null
      },
      files: files.map(function (f) { return f.file; })
    };
  }

  // Saves go one after another, each with what the form held when it was asked for: a slow
  // one never lands after a later one. Signing out closes the queue.
  var queue = Promise.resolve();
  var closing = false;

  function save(target, state, submitter) {
    var id = target.elements.client_id && target.elements.client_id.value;
    if (!id) { return Promise.reject(new Error("no client_id")); }
    var taken = capture(target, submitter);
    var result = queue.then(function () {
      if (closing) { throw new Error("signing out"); }
      return currentKey(csrf).then(function (k) {
        return sealRecord(k, id, target.getAttribute("data-draft"), state, taken.content, taken.files);
      }).then(put);
    });
    queue = result.catch(function () {});
    return result;
  }

  function restore(target, content) {
    var values = {};
    content.fields.forEach(function (f) { (values[f[0]] = values[f[0]] || []).push(f[1]); });
    Array.prototype.forEach.call(target.elements, function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.tagName === "BUTTON" || el.type === "file") { return; }
      var wanted = values[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = Boolean(wanted && wanted.indexOf(el.value) !== -1);
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = Boolean(wanted && wanted.indexOf(o.value) !== -1); });
      } else if (wanted) {
        el.value = wanted[0];
      }
    });
    var byField = {};
    content.files.forEach(function (f) {
      (byField[f.field] = byField[f.field] || new DataTransfer()).items.add(new File([f.data], f.name, { type: f.type }));
    });
    Object.keys(byField).forEach(function (name) {
      var input = target.elements[name];
      if (input && input.type === "file") { input.files = byField[name].files; }
    });
    var status = target.querySelector(".upload-status");
    if (status && content.files.length) {
      status.textContent = content.files.map(function (f) { return f.name; }).join(", ");
    }
    // For scripts that read the form (the danger-sign check): its values changed at once.
    target.dispatchEvent(new CustomEvent("caunoi:restored"));
  }

  // A word in the form: at its top, or just above the buttons when it answers a press of one.
  function note(target, message, actions, above) {
    var box = target.querySelector(".draft-note");
    if (box) { box.remove(); }
    box = document.createElement("div");
    box.className = "draft-note wide notice";
    box.setAttribute("role", "status");
    var place = above && above.parentNode === target ? above : target.firstElementChild ? target.firstElementChild.nextSibling : null;
    target.insertBefore(box, place);
    box.textContent = "";
    var p = document.createElement("p");
    p.textContent = message;
    box.appendChild(p);
    (actions || []).forEach(function (a) { box.appendChild(a); });
    return box;
  }

  function buttonsOf(submitter) {
    var row = submitter && submitter.parentNode;
    return row && row !== form ? row : submitter;
  }

  function button(label, onClick, kind) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (kind) { b.className = kind; }
    b.addEventListener("click", onClick);
    return b;
  }

  function discard(id) {
    if (!root.confirm(say("discard-confirm"))) { return; }
    remove(id).then(render);
  }

  // The list of forms kept here, on every page; each can be opened or discarded.
  function render() {
    if (!panel) { return Promise.resolve([]); }
    return all().then(function (records) {
      return Promise.all(records.map(function (r) {
        return keyFor(r.keyId).then(function (k) { return openRecord(r, k, false); }).then(
          function (content) { return { record: r, content: content }; },
          function (error) { return { record: r, content: null, locked: error && error.status === 404 }; }
        );
      }));
    }).then(function (items) {
      items.sort(function (a, b) { return b.record.savedAt - a.record.savedAt; });
      var list = panel.querySelector("ul");
      list.textContent = "";
      items.forEach(function (item) {
        var r = item.record;
        var li = document.createElement("li");
        var title = document.createElement("strong");
        title.textContent = item.content ? item.content.title : say("untitled");
        li.appendChild(title);
        var state = item.locked ? "locked" : !item.content ? "unreachable" : r.state;
        li.appendChild(document.createTextNode(" · " + say("state-" + state) + " · " + say("saved", { when: when(r.savedAt) }) + " "));
        if (item.content && r.id !== (form && form.elements.client_id && form.elements.client_id.value)) {
          var open = document.createElement("a");
          open.href = item.content.url + "#draft=" + r.id;
          open.textContent = say("open");
          li.appendChild(open);
          li.appendChild(document.createTextNode(" "));
        }
        li.appendChild(button(say("discard"), function () { discard(r.id); }, "link"));
        list.appendChild(li);
      });
      panel.querySelector("[data-send-now]").hidden = !items.some(function (i) { return DUE[i.record.state]; });
      panel.hidden = !items.length;
      return items;
    }).catch(function () { return []; });
  }

  // What was sent, by this page or by the service worker: the form on this page, once sent,
  // makes way for what it made.
  function settle(results) {
    (results || []).forEach(function (result) {
      var mine = form && form.elements.client_id && form.elements.client_id.value === result.id;
      if (result.outcome === "sent" && mine && result.url) { root.location.assign(result.url); }
      else if (result.outcome === "sent" && result.title) { toast(say("sent", { title: result.title })); }
      else if (result.outcome === "attention") { toast(say("state-attention") + ": " + result.title); }
    });
    return render();
  }

  function sendNow() {
    if (!navigator.onLine) { return Promise.resolve(); }
    return sendAll().then(settle, function () { return render(); });
  }

  function askSync() {
    if (!navigator.serviceWorker) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) { return registration.sync.register(SYNC_TAG); }
    }).catch(function () {});
  }

  if (panel) {
    panel.querySelector("[data-send-now]").addEventListener("click", sendNow);
  }
  if (navigator.serviceWorker) {
    // The service worker sent what waited (Background Sync): the list follows.
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.drafts) { settle(event.data.drafts); }
    });
  }

  // Signing out deletes what is kept here (the server destroys the key as well).
  var logout = document.querySelector("form[data-logout]");
  var leaving = false;
  if (logout) {
    logout.addEventListener("submit", function (event) {
      if (leaving) { return; }
      event.preventDefault();
      // Offline the log-out would not reach the server: the forms would be gone, the session not.
      if (!navigator.onLine) { root.alert(say("logout-offline")); return; }
      all().catch(function () { return []; }).then(function (records) {
        if (records.length && !root.confirm(say("logout-confirm", { n: records.length }))) { return; }
        closing = true;
        queue.then(forget).then(function () {
          leaving = true;
          logout.requestSubmit();
          leaving = false;
        });
      });
    });
  }

  if (form) {
    var clientId = form.elements.client_id ? form.elements.client_id.value : "";
    var passing = false;
    var timer = null;
    var touched = false;
    var lastSubmitter = null;
    // Fetched while the link is up, so that the form can be kept when it falls.
    currentKey(csrf).catch(function () {});
    var keep = function () {
      touched = true;
      root.clearTimeout(timer);
      // Once sent offline, the form still waits to go whatever is changed after.
      var waiting = Boolean(form.getAttribute("data-kept"));
      timer = root.setTimeout(function () {
        save(form, waiting ? "waiting" : "editing", waiting ? lastSubmitter : null).then(render).catch(function () {});
      }, 800);
    };
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", function (event) {
      if (passing) { return; }
      var submitter = event.submitter;
      lastSubmitter = submitter;
      event.preventDefault();
      root.clearTimeout(timer);
      var offline = !navigator.onLine;
      save(form, offline ? "waiting" : "sending", submitter).then(function () {
        if (offline) {
          form.setAttribute("data-kept", "waiting");  // upload.js sends nothing ahead now
          note(form, say("kept"), [], buttonsOf(submitter));
          askSync();
          return render();
        }
        passing = true;
        form.requestSubmit(submitter);  // the submit event comes at once, not later
        passing = false;
      }, function () {
        if (offline) { note(form, say("not-kept"), [], buttonsOf(submitter)); return; }
        passing = true;
        form.requestSubmit(submitter);
        passing = false;
      });
    });
    // The same form back from the server (a mistake to mend): it is being edited again, and
    // is not sent from here before the worker sends it.
    ready = get(clientId).then(function (record) {
      if (record && record.state !== "editing") { record.state = "editing"; return put(record); }
    }).catch(function () {});
    var opening = function (record) {
      // Opened, it is the worker's again: nothing sends it before she does.
      record.state = "editing";
      return put(record).then(function () { return keyFor(record.keyId); }).then(function (k) { return openRecord(record, k, true); }).then(function (content) {
        restore(form, content);
        clientId = record.id;
        note(form, say("restored", { when: when(record.savedAt) }));
      });
    };
    var openAsked = function () {
      var found = /#draft=([0-9a-f-]{36})$/.exec(root.location.hash);
      if (!found) { return false; }
      history.replaceState(null, "", root.location.pathname + root.location.search);
      get(found[1]).then(function (record) { if (record) { return opening(record); } }).catch(function () {});
      return true;
    };
    // "Open" in the list, on the page of the same form, changes only the address's fragment.
    root.addEventListener("hashchange", openAsked);
    if (!openAsked()) {
      // A form begun on this device and not sent: offer to go on with it.
      all().then(function (records) {
        return Promise.all(records.filter(function (r) { return r.id !== clientId && !DUE[r.state]; }).map(function (r) {
          return keyFor(r.keyId).then(function (k) { return openRecord(r, k, false); }).then(
            function (content) { return content.url === root.location.pathname + root.location.search ? r : null; },
            function () { return null; });
        }));
      }).then(function (found) {
        var record = found.filter(Boolean).sort(function (a, b) { return b.savedAt - a.savedAt; })[0];
        if (!record || touched) { return; }
        var box = note(form, say("resume", { when: when(record.savedAt) }), [
          button(say("resume-go"), function () { box.remove(); opening(record); }, "primary"),
          button(say("discard"), function () { box.remove(); discard(record.id); })
        ]);
      }).catch(function () {});
    }
  }

  root.addEventListener("online", sendNow);
  ready.then(function () { return navigator.onLine ? sendNow() : render(); });
})(self);
