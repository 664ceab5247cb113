/* The customer picker: templates/customers/includes/customer_picker.html.
 *
 * htmx fetches the matches into the picker's results box as the user types;
 * this script picks one (click, or arrow keys and Enter), fills the hidden
 * input and shows the chosen name. Listeners sit on the document and work out
 * their picker from the event, so any number of pickers work on one page,
 * including pickers htmx swaps in later. Each include loads this file; it
 * sets itself up once.
 */
(function () {
  "use strict";
  if (window.CustomerPicker) return;

  var PICKER = "[data-customer-picker]";
  var OPTION = "[data-customer-id]";
  var counter = 0;

  function parts(picker) {
    return {
      value: picker.querySelector("[data-picker-value]"),
      search: picker.querySelector("[data-picker-search]"),
      input: picker.querySelector("[data-picker-search] input"),
      results: picker.querySelector("[data-picker-results]"),
      chosen: picker.querySelector("[data-picker-chosen]"),
      name: picker.querySelector("[data-picker-name]"),
      phone: picker.querySelector("[data-picker-phone]"),
      change: picker.querySelector("[data-picker-change]")
    };
  }

  function options(picker) {
    return Array.prototype.slice.call(
      parts(picker).results.querySelectorAll(OPTION)
    );
  }

  function activeIndex(picker) {
    return options(picker).findIndex(function (item) {
      return item.classList.contains("active");
    });
  }

  // Ids for the screen reader's aria-activedescendant, unique per picker.
  function labelOptions(picker) {
    var p = parts(picker);
    if (!picker.dataset.pickerId) picker.dataset.pickerId = String(++counter);
    p.results.id = "customer-picker-" + picker.dataset.pickerId + "-results";
    p.input.setAttribute("aria-controls", p.results.id);
    options(picker).forEach(function (item, i) {
      item.id = p.results.id + "-" + i;
    });
    var open = p.results.children.length > 0;
    p.input.setAttribute("aria-expanded", open ? "true" : "false");
    p.input.removeAttribute("aria-activedescendant");
  }

  function closeResults(picker) {
    var p = parts(picker);
    p.results.innerHTML = "";
    p.input.setAttribute("aria-expanded", "false");
    p.input.removeAttribute("aria-activedescendant");
  }

  function highlight(picker, index) {
    var items = options(picker);
    if (!items.length) return;
    var wrapped = (index + items.length) % items.length;
    items.forEach(function (item, i) {
      var on = i === wrapped;
      item.classList.toggle("active", on);
      item.setAttribute("aria-selected", on ? "true" : "false");
      if (on) {
        parts(picker).input.setAttribute("aria-activedescendant", item.id);
        item.scrollIntoView({ block: "nearest" });
      }
    });
  }

  function pick(picker, item) {
    var p = parts(picker);
    var customer = {
      id: item.dataset.customerId,
      name: item.dataset.customerName,
      phone: item.dataset.customerPhone || ""
    };
    p.value.value = customer.id;
    p.name.textContent = customer.name;
    p.phone.textContent = customer.phone;
    p.input.value = "";
    closeResults(picker);
    p.search.classList.add("d-none");
    p.chosen.classList.remove("d-none");
    p.change.focus();
    p.value.dispatchEvent(new Event("change", { bubbles: true }));
    picker.dispatchEvent(
      new CustomEvent("customer:picked", { bubbles: true, detail: customer })
    );
  }

  function unpick(picker) {
    var p = parts(picker);
    p.value.value = "";
    p.name.textContent = "";
    p.phone.textContent = "";
    p.chosen.classList.add("d-none");
    p.search.classList.remove("d-none");
    p.input.focus();
    p.value.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function pickerOf(element) {
    return element && element.closest ? element.closest(PICKER) : null;
  }

  document.addEventListener("keydown", function (event) {
    var picker = pickerOf(event.target);
    if (!picker || event.target !== parts(picker).input) return;
    var items = options(picker);
    var index = activeIndex(picker);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!items.length) return;
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      highlight(picker, index < 0 ? (step > 0 ? 0 : -1) : index + step);
    } else if (event.key === "Enter") {
      // Enter picks the highlighted customer, or the only one found.
      var chosen = index >= 0 ? items[index] : items.length === 1 ? items[0] : null;
      if (chosen) {
        event.preventDefault();
        pick(picker, chosen);
      }
    } else if (event.key === "Escape") {
      if (items.length || parts(picker).results.children.length) {
        event.preventDefault();
        closeResults(picker);
      }
    } else if (event.key === "Tab") {
      closeResults(picker);
    }
  });

  // Keep the focus in the search box while a result is pressed, so a click
  // that moves focus (or not, as on Safari) always lands as a pick.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest(PICKER + " " + OPTION)) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var picker = pickerOf(event.target);
    var option = picker && event.target.closest(OPTION);
    if (option) {
      pick(picker, option);
    } else if (picker && event.target.closest("[data-picker-change]")) {
      unpick(picker);
    }
    document.querySelectorAll(PICKER).forEach(function (other) {
      if (other !== picker) closeResults(other);
    });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var picker = pickerOf(event.target);
    if (!picker || event.target !== parts(picker).results) return;
    if (parts(picker).search.classList.contains("d-none")) {
      // A late answer for a search the user has already finished.
      closeResults(picker);
    } else {
      labelOptions(picker);
    }
  });

  window.CustomerPicker = { pick: pick, unpick: unpick, close: closeResults };
})();
