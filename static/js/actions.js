/* What pages ask for with data attributes, instead of inline handlers (which
 * the Content-Security-Policy refuses to run):
 *
 *   <button data-print-page>                prints the page
 *   <form data-confirm="Delete X for good?"> asks before it is sent
 *   <select data-submit-on-change>          sends its form when changed
 *   <div class="progress" aria-valuenow="40"><div class="progress-bar">
 *                                           the bar is drawn 40% wide (no style="")
 */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print-page]")) window.print();
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-submit-on-change]") && field.form) {
      field.form.submit();
    }
  });

  function drawProgress(root) {
    if (!root.querySelectorAll) return;
    root.querySelectorAll(".progress[aria-valuenow] > .progress-bar").forEach(function (bar) {
      var value = Number(bar.parentElement.getAttribute("aria-valuenow"));
      var max = Number(bar.parentElement.getAttribute("aria-valuemax")) || 100;
      if (isFinite(value)) bar.style.width = Math.max(0, Math.min(100, value / max * 100)) + "%";
    });
  }

  // htmx:load comes for the page and for everything htmx swaps in.
  document.addEventListener("htmx:load", function (event) { drawProgress(event.target); });
  document.addEventListener("live:redrawn", function (event) { drawProgress(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawProgress(document); });
  } else {
    drawProgress(document);
  }
})();
