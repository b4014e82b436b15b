// Before a photo leaves a slow link, shrink it in the browser: long edge at most the input's
// data-downscale (1600 px: 1.9 megapixels, more than teledermatology asks, about 250 KB of a
// phone's photo of skin, so that two go through 256 kbit/s within 20 s; BENCHMARKS.md),
// re-encoded as JPEG. PDFs and small images go as they are. The server checks everything again.
(function () {
  "use strict";
  var QUALITY = 0.82;

  function shrink(file, edge) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return window.createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, edge / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.type === "image/jpeg" && file.size < 600 * 1024) { return file; }
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          var name = file.name.replace(/\.[^.]+$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: Date.now() }));
        }, "image/jpeg", QUALITY);
      });
    }).catch(function () { return file; });
  }

  function describe(files) {
    return Array.prototype.map.call(files, function (f) {
      return f.name + " (" + Math.round(f.size / 1024) + " KB)";
    }).join(", ");
  }

  // --- sending ahead, in resumable pieces (tus) ---------------------------------------------
  // On the consult form (data-uploads), each chosen file is sent at once in pieces of 256 KB
  // that survive a dropped link (tus-js-client resumes from the server's offset, retrying for
  // a few minutes), checked on arrival against its SHA-256, and kept for the form: it leaves
  // the file input and joins "Files already received", so the form itself stays small. A file
  // that cannot be sent ahead stays in the input and goes with the form, as without script.
  // Nothing is stored in the browser (no resume across a page reload): the upload addresses
  // would name the patient on a shared computer's disk.
  var ZERO = "00000000-0000-0000-0000-000000000000";
  var T = null;

  function text(key, values) {
    if (!T) {
      var node = document.getElementById("upload-text");
      T = node ? JSON.parse(node.textContent) : {};
    }
    return (T[key] || "").replace(/%\((\w+)\)s/g, function (_m, k) {
      return values && values[k] !== undefined ? values[k] : "";
    }).replace("%%", "%");
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function canSendAhead(form) {
    return form && form.getAttribute("data-uploads") && window.tus && window.tus.isSupported &&
      window.crypto && window.crypto.subtle && form.querySelector("input[name=client_id]");
  }

  function reason(error) {
    var response = error && error.originalResponse;
    if (!response) { return error && error.message ? error.message : ""; }
    try { return JSON.parse(response.getBody()).message; } catch (e) { return String(response.getStatus()); }
  }

  function showKept(form, id, file) {
    var box = document.getElementById("pending-files");
    if (!box) { return; }
    if (box.hidden) { box.hidden = false; box.querySelector("p").textContent = text("kept"); }
    var item = document.createElement("li");
    if (/^image\//.test(file.type)) {
      var img = document.createElement("img");
      img.src = form.getAttribute("data-pending-thumb").replace(ZERO, id);
      img.alt = file.name;
      img.width = 120;
      item.appendChild(img);
    } else {
      var doc = document.createElement("span");
      doc.className = "doc";
      doc.textContent = "PDF";
      item.appendChild(doc);
    }
    var name = document.createElement("span");
    name.className = "muted small";
    name.textContent = file.name + " · " + Math.max(1, Math.round(file.size / 1024)).toLocaleString("vi-VN") + " KB";
    item.appendChild(name);
    var label = document.createElement("label");
    label.className = "check";
    var tick = document.createElement("input");
    tick.type = "checkbox";
    tick.name = "remove_pending";
    tick.value = id;
    label.appendChild(tick);
    label.appendChild(document.createTextNode(" " + text("remove")));
    item.appendChild(label);
    box.querySelector("ul.gallery").appendChild(item);
  }

  function sendOne(form, file, status, hold) {
    return file.arrayBuffer().then(function (data) {
      return window.crypto.subtle.digest("SHA-256", data);
    }).then(function (digest) {
      return new Promise(function (resolve) {
        var upload = new window.tus.Upload(file, {
          endpoint: form.getAttribute("data-uploads"),
          chunkSize: 256 * 1024,
          retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000, 60000, 60000],
          storeFingerprintForResuming: false,
          headers: { "X-CSRFToken": form.querySelector("input[name=csrfmiddlewaretoken]").value },
          metadata: {
            filename: file.name,
            filetype: file.type,
            client_id: form.querySelector("input[name=client_id]").value,
            patient: form.querySelector("input[name=patient]").value,
            sha256: hex(digest)
          },
          onProgress: function (sent, total) {
            status.textContent = text("sending", { name: file.name, percent: Math.floor(100 * sent / total) });
          },
          onShouldRetry: function (error) {
            var code = error.originalResponse ? error.originalResponse.getStatus() : 0;
            var retry = !code || code === 409 || code === 423 || code >= 500;
            if (retry) { status.textContent = text("resuming", { name: file.name }); }
            return retry;
          },
          onSuccess: function (payload) {
            var kept = payload && payload.lastResponse ? payload.lastResponse.getHeader("Upload-Kept") : "";
            if (kept) { showKept(form, kept, file); }
            status.textContent = text("received", { name: file.name });
            settled(Boolean(kept));
          },
          onError: function (error) {
            status.textContent = text("failed", { name: file.name, reason: reason(error) });
            settled(false);
          }
        });
        // The link went down (the browser says so): the upload pauses and the buttons come
        // back, so that the worker may send the form now; it is then kept on this device with
        // the file and goes when the link is back (core/drafts.js, data-kept). Otherwise the
        // upload goes on from the server's offset when the link returns.
        var paused = false;
        var dropped = function () {
          if (paused) { return; }
          paused = true;
          upload.abort();
          status.textContent = text("paused", { name: file.name });
          hold(false);
        };
        var back = function () {
          if (!paused) { return; }
          paused = false;
          if (form.getAttribute("data-kept")) { settled(false); return; }
          hold(true);
          status.textContent = text("resuming", { name: file.name });
          upload.start();
        };
        var settled = function (value) {
          window.removeEventListener("offline", dropped);
          window.removeEventListener("online", back);
          resolve(value);
        };
        window.addEventListener("offline", dropped);
        window.addEventListener("online", back);
        upload.start();
      });
    }).catch(function () { return false; });
  }

  function sendAhead(form, input, status, hold) {
    var files = Array.prototype.slice.call(input.files);
    var left = [];
    return files.reduce(function (chain, file) {
      return chain.then(function () {
        // The form went while offline, with its files, or the link is down: the rest are not
        // sent ahead (they go with the form).
        if (form.getAttribute("data-kept") || !navigator.onLine) { left.push(file); return; }
        return sendOne(form, file, status, hold).then(function (kept) { if (!kept) { left.push(file); } });
      });
    }, Promise.resolve()).then(function () {
      var transfer = new DataTransfer();
      left.forEach(function (f) { transfer.items.add(f); });
      input.files = transfer.files;
      input.dispatchEvent(new Event("input", { bubbles: true }));  // the kept form follows
      if (left.length) { status.textContent += " " + describe(input.files); }
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-downscale]") || !window.DataTransfer) { return; }
    var form = input.form;
    var status = form && form.querySelector(".upload-status");
    var buttons = form ? form.querySelectorAll("button[type=submit]") : [];
    var hold = function (on) { buttons.forEach(function (b) { b.disabled = on; }); };
    hold(true);
    var edge = +input.getAttribute("data-downscale") || 1600;
    Promise.all(Array.prototype.map.call(input.files, function (f) { return shrink(f, edge); })).then(function (files) {
      var transfer = new DataTransfer();
      files.forEach(function (f) { transfer.items.add(f); });
      input.files = transfer.files;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      if (status) { status.textContent = describe(input.files); }
      if (status && canSendAhead(form) && input.files.length && navigator.onLine) { return sendAhead(form, input, status, hold); }
    }).finally(function () { hold(false); });
  });

  // ICD-10 search results: a click adds the code to the diagnosis field.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".add-code");
    if (!button) { return; }
    var field = document.getElementById("id_diagnoses");
    if (!field) { return; }
    var codes = field.value.split(/[,;\s]+/).filter(Boolean);
    var code = button.getAttribute("data-code");
    if (codes.indexOf(code) === -1) { codes.push(code); }
    field.value = codes.join(", ");
  });
})();
