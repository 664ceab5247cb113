/* Billing forms. */
(function () {
  "use strict";

  // A new invoice (invoices/invoice_form.html): "Add a line" adds a row from
  // the formset's empty form.
  function addLines() {
    var button = document.querySelector("[data-add-line]");
    var rows = document.getElementById("line-rows");
    var template = document.getElementById("line-template");
    var total = document.getElementById("id_lines-TOTAL_FORMS");
    var max = document.getElementById("id_lines-MAX_NUM_FORMS");
    if (!button || !rows || !template || !total || !max) return;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (index >= parseInt(max.value, 10)) return;
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      rows.lastElementChild.querySelector("input").focus();
    });
  }

  // A payment from a customer (invoices/payment_form.html): choosing an
  // invoice fills in what is left to pay on it.
  function fillBalance() {
    var form = document.querySelector("[data-payment-form]");
    if (!form) return;
    var amount = form.querySelector("[data-amount]");
    form.addEventListener("change", function (event) {
      if (event.target.name === "invoice" && event.target.dataset.balance && amount) {
        amount.value = event.target.dataset.balance;
      }
    });
  }

  addLines();
  fillBalance();
})();
