// Before a photo leaves a slow link, shrink it in the browser: long edge at most 2048 px,
// re-encoded as JPEG. PDFs and small images go as they are. The server checks everything again.
(function () {
  "use strict";
  var LONG_EDGE = 2048;
  var QUALITY = 0.85;

  function shrink(file) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return window.createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, LONG_EDGE / Math.max(bitmap.width, bitmap.height));
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

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-downscale]") || !window.DataTransfer) { return; }
    var form = input.form;
    var status = form && form.querySelector(".upload-status");
    var buttons = form ? form.querySelectorAll("button[type=submit]") : [];
    buttons.forEach(function (b) { b.disabled = true; });
    Promise.all(Array.prototype.map.call(input.files, shrink)).then(function (files) {
      var transfer = new DataTransfer();
      files.forEach(function (f) { transfer.items.add(f); });
      input.files = transfer.files;
      if (status) { status.textContent = describe(input.files); }
    }).finally(function () {
      buttons.forEach(function (b) { b.disabled = false; });
    });
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
