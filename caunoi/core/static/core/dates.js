// Writes the value of a browser date or date-time input out as the pages write dates
// (dd/mm/yyyy, 24-hour clock) in the line under it: the browser draws the input in its own
// language, which may put the month first (caunoi/core/dateinputs.py). Each date input's
// template includes this file; it runs once however many there are.
(function () {
  "use strict";
  if (window.caunoiDates) { return; }
  window.caunoiDates = true;
  var ISO = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d))?/;
  function writtenOut(value) {
    var m = ISO.exec(value || "");
    if (!m) { return ""; }
    return m[3] + "/" + m[2] + "/" + m[1] + (m[4] ? " " + m[4] + ":" + m[5] : "");
  }
  function update(event) {
    var input = event.target;
    if (!input.id || (input.type !== "date" && input.type !== "datetime-local")) { return; }
    var echo = document.querySelector('[data-date-echo="' + input.id + '"]');
    var zone = document.querySelector('[data-date-zone="' + input.id + '"]');
    var text = writtenOut(input.value);
    if (echo) { echo.textContent = text; }
    if (zone) { zone.hidden = !text; }
  }
  document.addEventListener("input", update);
  document.addEventListener("change", update);
})();
