/* The consult form's danger-sign check, live as the worker types: it runs the rule set
   (danger-signs.json, through engine.js) on the measurements, the consciousness and the signs
   ticked, shows what it finds and what to do meanwhile, raises the urgency when the signs call
   for more, and asks for a reason when the worker sets it lower. The server checks again when
   the form is sent and refuses a lower urgency without a reason. */
(function () {
  "use strict";

  var MEASUREMENTS = ["temperature", "pulse", "systolic", "diastolic", "respiratory_rate", "spo2"];

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }

  function start(box, rules, text) {
    var form = box.closest("form");
    var panel = document.getElementById("triage-result");
    var reasonWrap = document.getElementById("urgency-reason");
    var reasonField = reasonWrap && reasonWrap.querySelector("textarea");
    var order = window.caunoiTriage.ORDER;
    var lang = text.lang;
    var lastImplied = null;
    var raisedNote = "";

    function inputs() {
      var measurements = {};
      MEASUREMENTS.forEach(function (name) {
        var input = form.querySelector("#id_" + name);
        var value = input ? input.value.trim().replace(",", ".") : "";
        measurements[name] = value === "" || isNaN(Number(value)) ? null : Number(value);
      });
      var consciousness = form.querySelector("input[name=consciousness]:checked");
      var signs = Array.prototype.map.call(
        form.querySelectorAll("input[name=signs_found]:checked"), function (i) { return i.value; });
      return {
        ageMonths: Number(box.dataset.ageMonths),
        sex: box.dataset.sex || "",
        measurements: measurements,
        consciousness: consciousness ? consciousness.value : "",
        signs: signs
      };
    }

    function chosenUrgency() {
      var checked = form.querySelector("input[name=urgency]:checked");
      return checked ? checked.value : "routine";
    }

    function render(result, raised) {
      panel.replaceChildren();
      panel.hidden = false;
      panel.className = "triage-result" + (result.signs.length ? " urgency-" + result.urgency : "");
      if (!result.signs.length) {
        panel.append(el("p", "", text.none));
      } else {
        panel.append(el("p", "triage-heading", text.found));
        var list = el("ul");
        result.signs.forEach(function (s) {
          var item = el("li", "", s.label[lang] + " ");
          item.append(el("span", "tag urgency-" + s.urgency, text.urgency[s.urgency]));
          list.append(item);
        });
        panel.append(list);
        panel.append(el("p", "triage-implies",
          fill(text.implies, { urgency: text.urgency[result.urgency] })));
        if (raised) panel.append(el("p", "triage-raised", raised));
        var seen = [];
        var steps = el("ul", "triage-steps");
        result.signs.slice().sort(function (a, b) {
          return order[b.urgency] - order[a.urgency];
        }).forEach(function (s) {
          if (seen.indexOf(s.instruction) >= 0) return;
          seen.push(s.instruction);
          steps.append(el("li", "", rules.instructions[s.instruction][lang]));
        });
        panel.append(el("p", "triage-heading", text.meanwhile));
        panel.append(steps);
      }
      if (result.score) {
        var name = result.score.id.toUpperCase();
        panel.append(el("p", "", fill(result.score.complete ? text.score : text.partial,
          { name: name, total: result.score.total })));
      }
      if (result.missing.length) {
        var names = result.missing.map(function (n) { return rules.measurements[n][lang]; });
        panel.append(el("p", "muted", fill(text.missing, { names: names.join(", ") })));
      }
    }

    function update() {
      var result = window.caunoiTriage.check(rules, inputs());
      var implied = result.urgency;
      if (lastImplied !== null && order[implied] > order[lastImplied] &&
          order[chosenUrgency()] < order[implied]) {
        var radio = form.querySelector("input[name=urgency][value=" + implied + "]");
        if (radio) {
          radio.checked = true;
          radio.dispatchEvent(new Event("input", { bubbles: true }));
          raisedNote = fill(text.raised, { urgency: text.urgency[implied] });
        }
      }
      if (order[implied] <= order.routine) raisedNote = "";
      lastImplied = implied;
      var lowered = order[chosenUrgency()] < order[implied];
      if (reasonWrap) {
        reasonWrap.hidden = !lowered && !(reasonField && reasonField.value);
        if (reasonField) reasonField.required = lowered;
        var note = reasonWrap.querySelector(".triage-reason-note");
        if (note) note.textContent = lowered ? text.reason : "";
      }
      render(result, chosenUrgency() === implied ? raisedNote : "");
    }

    form.addEventListener("input", update);
    form.addEventListener("change", update);
    // A form kept on the device (drafts.js): its urgency is the worker's own choice, kept.
    form.addEventListener("caunoi:restored", function () {
      lastImplied = null;
      update();
    });
    update();
  }

  function init() {
    var box = document.getElementById("danger-signs");
    var textNode = document.getElementById("triage-text");
    if (!box || !textNode || !window.caunoiTriage) return;
    fetch(box.dataset.triageRules, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (rules) { start(box, rules, JSON.parse(textNode.textContent)); })
      .catch(function () { /* the server checks the signs when the form is sent */ });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
