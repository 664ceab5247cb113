/* Page behaviour shared by every screen. */
(function () {
  "use strict";

  // Draws every <canvas data-chart="bar|line|pie" data-chart-data="json-script-id">
  // under `root`. The JSON holds {labels: [...], values: [...]}.
  function renderCharts(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.chart) canvas.chart.destroy();
      var source = document.getElementById(canvas.dataset.chartData);
      if (!source) return;
      var data = JSON.parse(source.textContent);
      canvas.chart = new window.Chart(canvas, {
        type: canvas.dataset.chart,
        data: {
          labels: data.labels,
          datasets: [{
            label: canvas.dataset.chartLabel || "",
            data: data.values,
            backgroundColor: "rgba(13, 110, 253, 0.6)",
            borderColor: "rgb(13, 110, 253)",
            borderWidth: 1
          }]
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
        }
      });
    });
  }

  window.POS = { renderCharts: renderCharts };
  document.addEventListener("DOMContentLoaded", function () { renderCharts(document); });
  document.body.addEventListener("htmx:afterSwap", function (event) { renderCharts(event.target); });
})();
