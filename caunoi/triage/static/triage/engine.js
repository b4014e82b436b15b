/* The danger-sign check in the browser: the same rule set as the server
   (danger-signs.json) and the same reading of it as caunoi/triage/engine.py, which stays the
   authority. tests/test_browser_engine.py runs both on every case and compares them. */
(function (root) {
  "use strict";

  var ORDER = { routine: 0, urgent: 1, emergency: 2 };

  function applies(item, inputs) {
    var ages = item.ages || [0, null];
    if (inputs.ageMonths < ages[0] || (ages[1] !== null && inputs.ageMonths >= ages[1])) {
      return false;
    }
    return !(item.sex && inputs.sex !== item.sex);
  }

  function compare(value, op, threshold) {
    if (op === ">=") return value >= threshold;
    if (op === ">") return value > threshold;
    if (op === "<=") return value <= threshold;
    if (op === "<") return value < threshold;
    throw new Error("unknown comparison " + op);
  }

  function measurement(inputs, name) {
    var value = inputs.measurements[name];
    return value === undefined || value === null || value === "" ? null : Number(value);
  }

  /* true, false, or null when a measurement it needs was not taken (pushed on `missing`). */
  function evaluate(when, inputs, missing) {
    if ("sign" in when) return inputs.signs.indexOf(when.sign) >= 0;
    if ("measure" in when) {
      var value = measurement(inputs, when.measure);
      if (value === null) {
        missing.push(when.measure);
        return null;
      }
      return compare(value, when.op, Number(when.value));
    }
    if ("consciousness" in when) {
      if (!inputs.consciousness) {
        missing.push("consciousness");
        return null;
      }
      return when.consciousness.indexOf(inputs.consciousness) >= 0;
    }
    var parts = when.all || when.any;
    var wanted = [];
    var values = parts.map(function (p) { return evaluate(p, inputs, wanted); });
    var outcome;
    if (when.all) {
      if (values.indexOf(false) >= 0) return false;
      outcome = values.indexOf(null) >= 0 ? null : true;
    } else {
      if (values.indexOf(true) >= 0) return true;
      outcome = values.indexOf(null) >= 0 ? null : false;
    }
    Array.prototype.push.apply(missing, wanted);
    return outcome;
  }

  function points(parameter, inputs, missing) {
    if ("sign" in parameter) {
      return inputs.signs.indexOf(parameter.sign) >= 0 ? parameter.points : 0;
    }
    if ("consciousness" in parameter) {
      if (!inputs.consciousness) {
        missing.push("consciousness");
        return null;
      }
      return parameter.consciousness[inputs.consciousness];
    }
    var value = measurement(inputs, parameter.measure);
    if (value === null) {
      missing.push(parameter.measure);
      return null;
    }
    for (var i = 0; i < parameter.bands.length; i++) {
      var upto = parameter.bands[i][0];
      if (upto === null || value <= Number(upto)) return parameter.bands[i][1];
    }
    throw new Error("no band for " + parameter.measure);
  }

  function sign(item, urgency, instruction, source, section, score) {
    var label = {};
    ["vi", "en"].forEach(function (lang) {
      label[lang] = String(item[lang]).replace("{score}", String(score));
    });
    return {
      id: item.id, urgency: urgency, instruction: instruction, source: source,
      section: section, label: label
    };
  }

  function unique(list) {
    return list.filter(function (item, i) { return list.indexOf(item) === i; });
  }

  /* inputs: {ageMonths, sex, measurements: {name: number|null}, consciousness: "A".."U"|"",
     signs: [id]} */
  function check(data, inputs) {
    // Signs not asked at this age or for this sex are read as not ticked (as the server does).
    var fit = data.signs.filter(function (s) { return applies(s, inputs); }).map(function (s) { return s.id; });
    inputs = {
      ageMonths: inputs.ageMonths, sex: inputs.sex, measurements: inputs.measurements,
      consciousness: inputs.consciousness,
      signs: inputs.signs.filter(function (id) { return fit.indexOf(id) >= 0; })
    };
    var signs = [];
    var missing = [];
    data.rules.forEach(function (rule) {
      if (!applies(rule, inputs)) return;
      if (evaluate(rule.when, inputs, missing) === true) {
        signs.push(sign(rule, rule.urgency, rule.instruction, rule.source, rule.section));
      }
    });
    var score = null;
    data.scores.forEach(function (scale) {
      if (!applies(scale, inputs)) return;
      if (scale.unless && evaluate(scale.unless, inputs, []) === true) return;
      var all = scale.parameters.map(function (p) { return points(p, inputs, missing); });
      var known = all.filter(function (p) { return p !== null; });
      var total = known.reduce(function (a, b) { return a + b; }, 0);
      score = { id: scale.id, total: total, complete: known.length === all.length };
      for (var i = 0; i < scale.triggers.length; i++) {
        var t = scale.triggers[i];
        if (("total" in t && total >= t.total) || ("single" in t && known.indexOf(t.single) >= 0)) {
          signs.push(sign(t, t.urgency, t.instruction, scale.source, scale.section, total));
          break;
        }
      }
    });
    var urgency = "routine";
    signs.forEach(function (s) {
      if (ORDER[s.urgency] > ORDER[urgency]) urgency = s.urgency;
    });
    return {
      version: data.version, urgency: urgency, signs: signs, score: score,
      missing: unique(missing)
    };
  }

  root.caunoiTriage = { check: check, ORDER: ORDER };
})(typeof self !== "undefined" ? self : this);
