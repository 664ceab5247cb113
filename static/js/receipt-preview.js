/* The shop settings page: the receipt preview follows the Receipts fields.
 *
 * The preview is a sample receipt drawn by the server (sales:receipt_preview)
 * in an iframe; this reloads it with the form's current, unsaved values a
 * moment after the typing stops. Nothing is saved until the form is.
 */
(function () {
  "use strict";

  var frame = document.querySelector("[data-receipt-preview]");
  if (!frame) return;
  var form = frame.closest("form") || document.querySelector("form[method=post]");
  if (!form) return;
  var FLAGS = { logo: "receipt_show_logo", cashier: "receipt_show_cashier",
                customer: "receipt_show_customer", tax: "receipt_show_tax" };
  var timer = null;
  var last = "";

  function field(name) { return form.elements.namedItem(name); }

  function value(name) {
    var element = field(name);
    if (!element) return null;
    if (element instanceof RadioNodeList) return element.value;
    return element.value;
  }

  function previewUrl() {
    var params = new URLSearchParams();
    var header = value("receipt_header");
    var footer = value("receipt_footer");
    var paper = value("paper_width");
    if (header !== null) params.set("header", header);
    if (footer !== null) params.set("footer", footer);
    if (paper) params.set("paper", paper);
    Object.keys(FLAGS).forEach(function (key) {
      var box = field(FLAGS[key]);
      if (box && box.type === "checkbox") params.set("show_" + key, box.checked ? "1" : "0");
    });
    return frame.dataset.previewUrl + "?" + params.toString();
  }

  function refresh() {
    var url = previewUrl();
    if (url === last) return;
    last = url;
    frame.src = url;
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 350);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  refresh();
})();
