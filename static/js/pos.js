/* Page behaviour shared by every screen. */
(function () {
  "use strict";

  var COLOURS = ["13, 110, 253", "25, 135, 84", "253, 126, 20", "111, 66, 193",
                 "220, 53, 69", "32, 201, 151", "108, 117, 125"];

  // Draws every <canvas data-chart="bar|line|doughnut" data-chart-data="json-id">
  // under `root`. The JSON holds {labels, values} (one series) or {labels,
  // datasets: [{label, values, money}], kind, stacked}.
  function renderCharts(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.chart) canvas.chart.destroy();
      var source = document.getElementById(canvas.dataset.chartData);
      if (!source) return;
      var data = JSON.parse(source.textContent);
      var kind = data.kind || canvas.dataset.chart;
      var round = kind === "doughnut" || kind === "pie";
      var series = data.datasets || [{ label: canvas.dataset.chartLabel || "", values: data.values }];
      var money = series.some(function (s) { return s.money; });
      var datasets = series.map(function (s, i) {
        var colour = COLOURS[i % COLOURS.length];
        return {
          label: s.label,
          data: s.values,
          backgroundColor: round
            ? s.values.map(function (_, j) { return "rgba(" + COLOURS[j % COLOURS.length] + ", 0.7)"; })
            : "rgba(" + colour + ", 0.6)",
          borderColor: round ? "#fff" : "rgb(" + colour + ")",
          borderWidth: 1
        };
      });
      var options = {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: round || datasets.length > 1 } }
      };
      if (!round) {
        options.scales = {
          x: { stacked: !!data.stacked },
          y: { stacked: !!data.stacked, beginAtZero: true, ticks: { precision: money ? 2 : 0 } }
        };
      }
      canvas.chart = new window.Chart(canvas, {
        type: kind,
        data: { labels: data.labels, datasets: datasets },
        options: options
      });
    });
  }

  // <button data-copy="element-id">: copies that element's value (or text).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) return;
    var source = document.getElementById(button.dataset.copy);
    navigator.clipboard.writeText(source.value || source.textContent).then(function () {
      button.textContent = "Copied";
    });
  });

  window.POS = { renderCharts: renderCharts };
  document.addEventListener("DOMContentLoaded", function () { renderCharts(document); });
  document.body.addEventListener("htmx:afterSwap", function (event) { renderCharts(event.target); });
})();
