/* The till: focus, keyboard shortcuts, the scan box and the payment panel.
 *
 * The server keeps the cart and does every sum that counts; htmx swaps the
 * cart panel after each action. This script only keeps the scan box ready
 * for the next scan, maps keys to the buttons on screen, and shows the change
 * due while amounts are typed (the sale itself is priced on the server).
 */
(function () {
  "use strict";

  var CART = "#cart-panel";
  var EDITABLE = "input:not([type=hidden]):not([type=button]):not([type=submit]), select, textarea";
  // On touch screens a focused text box pops the keyboard up after every tap.
  var touch = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
  var selectedLine = null;

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $$(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }
  function scanBox() { return $("[data-scan-box]"); }
  function cartPanel() { return $(CART); }
  function visible(element) { return element && element.offsetParent !== null; }

  function isEditing(element) {
    return element && element !== scanBox() && element.matches && element.matches(EDITABLE) &&
      element.isConnected && !element.disabled;
  }

  function focusScan(selectAll) {
    var box = scanBox();
    if (!box) return;
    box.focus({ preventScroll: true });
    if (selectAll) box.select();
  }

  // Back to the scan box after a cart change, unless the cashier is typing
  // somewhere else or the new content asks for attention (an approval).
  function restoreFocus(root) {
    var wanted = root && $("[data-autofocus]", root);
    if (wanted && visible(wanted)) {
      wanted.focus();
      return;
    }
    if (isEditing(document.activeElement)) return;
    if (!touch) focusScan(false);
  }

  // Search results: a list under the scan box, chosen with the arrows.
  function results() { return $$("[data-search-result]"); }
  function clearSearch() {
    var box = $("[data-search-results]");
    if (box) box.innerHTML = "";
    var input = scanBox();
    if (input && window.htmx) window.htmx.trigger(input, "htmx:abort");
  }

  // The selected cart line, for + / - / Del and the arrows.
  function lines() { return $$("[data-cart-lines] [data-line-id]"); }
  function currentLine() {
    return $("[data-cart-lines] .is-selected") || null;
  }
  function selectLine(line) {
    lines().forEach(function (item) {
      var on = item === line;
      item.classList.toggle("is-selected", on);
      if (on) item.setAttribute("aria-current", "true");
      else item.removeAttribute("aria-current");
    });
    selectedLine = line ? line.dataset.lineId : null;
    if (line) line.scrollIntoView({ block: "nearest" });
  }
  function applySelection() {
    var marked = currentLine();
    if (marked) {
      selectedLine = marked.dataset.lineId;
      marked.scrollIntoView({ block: "nearest" });
      return;
    }
    var all = lines();
    var remembered = all.filter(function (item) { return item.dataset.lineId === selectedLine; })[0];
    selectLine(remembered || all[all.length - 1] || null);
  }
  function moveSelection(step) {
    var all = lines();
    if (!all.length) return;
    var index = all.indexOf(currentLine());
    index = index < 0 ? all.length - 1 : Math.min(Math.max(index + step, 0), all.length - 1);
    selectLine(all[index]);
  }
  function pressOnLine(selector) {
    var line = currentLine();
    var button = line && $(selector, line);
    if (button) button.click();
  }

  // Money in cents, from what was typed ("12", "12.5", "12.50"); NaN if not money.
  function cents(text, decimals) {
    text = String(text || "").trim().replace(",", ".");
    if (text === "") return 0;
    var match = /^(\d{1,10})(?:\.(\d*))?$/.exec(text);
    if (!match || (match[2] || "").length > decimals) return NaN;
    var fraction = (match[2] || "").padEnd(decimals, "0");
    return parseInt(match[1], 10) * Math.pow(10, decimals) + (fraction ? parseInt(fraction, 10) : 0);
  }
  function money(amount, decimals, symbol) {
    var negative = amount < 0;
    amount = Math.abs(amount);
    var unit = Math.pow(10, decimals);
    var whole = Math.floor(amount / unit).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var fraction = decimals ? "." + String(amount % unit).padStart(decimals, "0") : "";
    return (negative ? "-" : "") + symbol + whole + fraction;
  }

  // The payment panel: rows of payments, and what they add up to.
  function payment() { return $("[data-payment]"); }
  function decimalsOf(form) {
    var total = form.dataset.total || "0";
    return total.indexOf(".") < 0 ? 0 : total.split(".")[1].length;
  }
  function rows(form) { return $$("[data-tender-row]", form); }

  function updateSummary() {
    var form = payment();
    if (!form) return;
    var decimals = decimalsOf(form);
    var symbol = ($("[data-cart]") || {}).dataset ? $("[data-cart]").dataset.currency || "" : "";
    var total = cents(form.dataset.total, decimals);
    var paid = 0, cash = 0, valid = true;
    rows(form).forEach(function (row) {
      var input = $("[data-amount]", row);
      var amount = cents(input.value, decimals);
      input.classList.toggle("is-invalid", isNaN(amount));
      if (isNaN(amount)) { valid = false; return; }
      paid += amount;
      if ($("[data-method]", row).value === "cash") cash += amount;
    });
    var changeRow = $("[data-change-row]", form);
    var shortRow = $("[data-short-row]", form);
    $("[data-paid]", form).textContent = valid ? money(paid, decimals, symbol) : "—";
    if (paid >= total) {
      var change = paid - total;
      $("[data-change]", form).textContent = money(change, decimals, symbol);
      changeRow.classList.remove("d-none");
      changeRow.classList.toggle("text-danger", change > cash);
      changeRow.title = change > cash ? "Only cash can be more than the total." : "";
      shortRow.classList.add("d-none");
    } else {
      changeRow.classList.add("d-none");
      shortRow.classList.remove("d-none");
      $("[data-short]", form).textContent = money(total - paid, decimals, symbol);
      shortRow.classList.toggle("is-on-account", form.dataset.hasCustomer === "1");
    }
    var hint = $("[data-account-hint]", form);
    if (hint) hint.classList.toggle("d-none", paid >= total);
  }

  function renumber(form) {
    var all = rows(form);
    all.forEach(function (row, index) {
      $$("[name]", row).forEach(function (field) {
        field.name = field.name.replace(/^tender-\d+-/, "tender-" + index + "-");
      });
    });
    var count = $("input[name=tender-TOTAL_FORMS]", form);
    if (count) count.value = String(all.length);
  }

  function addTender(form) {
    var template = $("[data-tender-template]", form);
    var container = $("[data-tender-rows]", form);
    if (!template || !container || rows(form).length >= 8) return;
    var html = template.innerHTML.replace(/__prefix__/g, String(rows(form).length));
    container.insertAdjacentHTML("beforeend", html);
    var row = rows(form).pop();
    var decimals = decimalsOf(form);
    var paid = rows(form).reduce(function (sum, item) {
      var amount = cents($("[data-amount]", item).value, decimals);
      return sum + (isNaN(amount) ? 0 : amount);
    }, 0);
    var left = cents(form.dataset.total, decimals) - paid;
    var used = rows(form).slice(0, -1).map(function (item) { return $("[data-method]", item).value; });
    var method = $("[data-method]", row);
    var other = Array.prototype.filter.call(method.options, function (option) {
      return used.indexOf(option.value) < 0;
    })[0];
    if (other) method.value = other.value;
    if (left > 0) $("[data-amount]", row).value = (left / Math.pow(10, decimals)).toFixed(decimals);
    renumber(form);
    updateSummary();
    var amount = $("[data-amount]", row);
    amount.focus();
    amount.select();
  }

  // A note handed over, or (exact) what the other payments leave to pay.
  function setCash(form, value, exact) {
    var isCash = function (row) { return $("[data-method]", row).value === "cash"; };
    var target = rows(form).filter(isCash)[0];
    if (!target) {
      // Cash on top of a card payment: a new row for it.
      if (!$("[data-tender-template]", form).innerHTML.match(/value="cash"/)) return;
      addTender(form);
      target = rows(form).pop();
      $("[data-method]", target).value = "cash";
    }
    if (exact) {
      var decimals = decimalsOf(form);
      var others = rows(form).reduce(function (sum, row) {
        if (row === target) return sum;
        var amount = cents($("[data-amount]", row).value, decimals);
        return sum + (isNaN(amount) ? 0 : amount);
      }, 0);
      var left = Math.max(cents(form.dataset.total, decimals) - others, 0);
      value = (left / Math.pow(10, decimals)).toFixed(decimals);
    }
    $("[data-amount]", target).value = value;
    updateSummary();
  }

  function submitPayment() {
    var form = payment();
    if (!form) return;
    if (form.requestSubmit) form.requestSubmit();
    else window.htmx.trigger(form, "submit");
  }

  function goToPayment() {
    var form = payment();
    if (!form) return;
    var amount = $("[data-amount]", form);
    if (amount) {
      amount.focus();
      amount.select();
      form.scrollIntoView({ block: "nearest" });
    }
  }

  // Panels opened from a button (new customer, park) and closed with Esc.
  function openPanel(id) {
    var panel = document.getElementById(id);
    if (!panel) return;
    panel.classList.remove("d-none");
    $$("[data-toggle-panel='" + id + "']").forEach(function (button) {
      button.setAttribute("aria-expanded", "true");
    });
    var field = $("[data-panel-focus]", panel);
    if (field) field.focus();
  }
  function closePanels() {
    var closed = false;
    $$("[data-panel]").forEach(function (panel) {
      if (panel.matches("[data-approval]")) {
        panel.remove();
        closed = true;
      } else if (!panel.classList.contains("d-none")) {
        panel.classList.add("d-none");
        closed = true;
      }
    });
    $$("[data-toggle-panel]").forEach(function (button) { button.setAttribute("aria-expanded", "false"); });
    $$("details[open]", cartPanel() || document).forEach(function (details) {
      details.open = false;
      closed = true;
    });
    return closed;
  }

  // The scan box: Enter posts the code; the box is cleared at once so the
  // next scan can start while the cart updates.
  function onScanSubmit(event) {
    var form = event.target.closest("[data-scan-form]");
    if (!form || !window.htmx) return;
    event.preventDefault();
    var input = scanBox();
    var code = input.value.trim();
    if (!code) return;
    input.value = "";
    clearSearch();
    window.htmx.ajax("POST", form.action, {
      source: cartPanel(),
      target: CART,
      swap: "innerHTML",
      values: { code: code }
    });
  }

  function onKeydown(event) {
    var target = event.target;
    var inScan = target === scanBox();
    var typing = isEditing(target) || (inScan && scanBox().value !== "");
    var key = event.key;

    if (key === "F2") {
      event.preventDefault();
      focusScan(true);
    } else if (key === "F4") {
      event.preventDefault();
      var picker = $("[data-customer-box] [data-customer-picker]");
      if (!picker) return;
      var search = $("[data-picker-search]", picker);
      if (search.classList.contains("d-none")) $("[data-picker-change]", picker).click();
      else $("input[type=search]", search).focus();
    } else if (key === "F6") {
      event.preventDefault();
      var discount = $("#cart-discount-value");
      if (discount) { discount.focus(); discount.select(); }
    } else if (key === "F8") {
      event.preventDefault();
      openPanel("park-form");
    } else if (key === "F9") {
      event.preventDefault();
      if (payment() && payment().contains(target)) submitPayment();
      else goToPayment();
    } else if (key === "Enter" && (event.ctrlKey || event.metaKey)) {
      if (!payment()) return;
      event.preventDefault();
      submitPayment();
    } else if (key === "Escape") {
      if (target.closest && target.closest("[data-customer-picker]")) return;
      var closed = closePanels();
      if (results().length || (inScan && scanBox().value)) {
        scanBox().value = "";
        clearSearch();
        closed = true;
      }
      if (closed || !inScan) {
        event.preventDefault();
        focusScan(false);
      }
    } else if (inScan && key === "ArrowDown" && results().length) {
      event.preventDefault();
      results()[0].focus();
    } else if (target.matches && target.matches("[data-search-result]") &&
               (key === "ArrowDown" || key === "ArrowUp")) {
      event.preventDefault();
      var all = results();
      var index = all.indexOf(target) + (key === "ArrowDown" ? 1 : -1);
      if (index < 0) focusScan(false);
      else all[Math.min(index, all.length - 1)].focus();
    } else if (!typing && !event.ctrlKey && !event.altKey && !event.metaKey) {
      if (key === "+" || key === "Add") {
        event.preventDefault();
        pressOnLine("[data-step='1']");
      } else if (key === "-" || key === "Subtract") {
        event.preventDefault();
        pressOnLine("[data-step='-1']");
      } else if (key === "Delete") {
        event.preventDefault();
        pressOnLine("[data-remove]");
      } else if ((key === "ArrowUp" || key === "ArrowDown") && !results().length) {
        event.preventDefault();
        moveSelection(key === "ArrowUp" ? -1 : 1);
      }
    }
  }

  function onClick(event) {
    var target = event.target;
    var toggle = target.closest("[data-toggle-panel]");
    if (toggle) {
      var panel = document.getElementById(toggle.dataset.togglePanel);
      if (panel && panel.classList.contains("d-none")) openPanel(toggle.dataset.togglePanel);
      else { closePanels(); focusScan(false); }
      return;
    }
    if (target.closest("[data-cancel]")) {
      closePanels();
      focusScan(false);
      return;
    }
    var form = payment();
    if (form && form.contains(target)) {
      var cash = target.closest("[data-cash]");
      if (cash) { setCash(form, cash.dataset.cash, cash.hasAttribute("data-cash-exact")); return; }
      if (target.closest("[data-add-tender]")) { addTender(form); return; }
      var remove = target.closest("[data-remove-tender]");
      if (remove && rows(form).length > 1) {
        remove.closest("[data-tender-row]").remove();
        renumber(form);
        updateSummary();
        return;
      }
    }
    var line = target.closest("[data-cart-lines] [data-line-id]");
    if (line) {
      selectLine(line);
      if (!target.closest(EDITABLE + ", button, a, summary")) focusScan(false);
    }
    if (target.closest("[data-print]")) window.print();
  }

  function onInput(event) {
    if (event.target.closest && event.target.closest("[data-payment]")) updateSummary();
  }

  function showError(message) {
    var box = $("[data-cart-alert]");
    if (!box) return;
    box.innerHTML = "";
    var alert = document.createElement("div");
    alert.className = "alert alert-danger py-2 px-3 mb-2";
    alert.setAttribute("role", "alert");
    alert.textContent = message;
    box.appendChild(alert);
  }

  // A roll has no page length and Chromium does not take "size: 80mm auto":
  // give the printed page the receipt's own length, so nothing is cut or wasted.
  // The rule goes into the page's own <style id="receipt-page-size"> through
  // the CSSOM: the Content-Security-Policy refuses a <style> made here.
  function sizeReceiptPage() {
    var receipt = $("[data-receipt-page] [data-receipt]");
    if (!receipt || receipt.dataset.paper === "a4") return;
    var style = document.getElementById("receipt-page-size");
    var sheet = style && style.sheet;
    if (!sheet) return;
    var length = Math.ceil(receipt.getBoundingClientRect().height * 25.4 / 96) + 2;
    if (style.dataset.sized) sheet.deleteRule(sheet.cssRules.length - 1);
    sheet.insertRule("@media print { @page { size: " + receipt.dataset.paper + " " +
      length + "mm; margin: 0; } }", sheet.cssRules.length);
    style.dataset.sized = "1";
  }

  function setUp() {
    if ($("[data-till]")) {
      applySelection();
      updateSummary();
      if (!touch) focusScan(false);
    }
    var autofocus = $("[data-receipt-page] [data-autofocus]");
    if (autofocus) autofocus.focus();
    if ($("[data-receipt-page]")) {
      sizeReceiptPage();
      window.addEventListener("beforeprint", sizeReceiptPage);
      window.addEventListener("afterprint", function () {
        if (autofocus) autofocus.focus();
      });
      if (document.fonts) document.fonts.ready.then(sizeReceiptPage);
    }
  }

  document.addEventListener("submit", onScanSubmit, true);
  document.addEventListener("keydown", onKeydown);
  document.addEventListener("click", onClick);
  document.addEventListener("input", onInput);
  document.addEventListener("change", onInput);

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    // Signed out meanwhile: go to the sign-in page rather than show it in the cart.
    if (xhr && xhr.responseURL && xhr.responseURL.indexOf("/sign-in/") >= 0) {
      event.detail.shouldSwap = false;
      window.location.href = xhr.responseURL;
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "cart-panel") return;
    applySelection();
    updateSummary();
    restoreFocus(target);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var source = event.detail.elt;
    if (event.detail.successful && source && source.matches && source.matches("[data-search-result]")) {
      var input = scanBox();
      if (input) input.value = "";
      clearSearch();
    }
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    showError(status === 403 ? "You may not do that at the till." :
      "Something went wrong on the server (" + status + "). Nothing was changed; try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    showError("No answer from the server. Check the connection and try again: a payment is never taken twice.");
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
