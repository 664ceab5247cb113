/* A report's filters (reports/report_detail.html): the From and To dates only
 * matter for a custom period, so they show only when it is chosen. */
(function () {
  "use strict";

  var dates = document.querySelectorAll("[data-custom-dates]");
  if (!dates.length) return;
  var form = dates[0].closest("form");

  function toggle() {
    var period = form.elements.namedItem("period");
    var custom = period && period.value === "custom";
    dates.forEach(function (el) { el.classList.toggle("d-none", !custom); });
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "period") toggle();
  });
  toggle();
})();
