// Draws each table's chart with the vendored Chartist library from the same numbers as the
// table under it (suppressed cells are gaps). The tables remain the reference: without
// JavaScript the page still shows every figure.
(function () {
  "use strict";
  var data = document.getElementById("chart-data");
  if (!data || !window.Chartist) { return; }
  var charts = JSON.parse(data.textContent);
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var spec = charts[el.getAttribute("data-chart")];
    if (!spec || !spec.labels.length) { el.remove(); return; }
    var options = { height: "220px", fullWidth: true, chartPadding: { right: 24 }, axisY: { onlyInteger: true } };
    if (spec.type === "bar") {
      new window.Chartist.BarChart(el, { labels: spec.labels, series: [spec.series] },
        Object.assign(options, { axisX: { offset: 60 } }));
    } else {
      new window.Chartist.LineChart(el, { labels: spec.labels, series: [spec.series] }, options);
    }
  });
})();
