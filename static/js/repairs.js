/* The repair ticket page: the part picker and the passcode's show button. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var pick = event.target.closest("[data-pick-part]");
    if (pick) {
      event.preventDefault();
      var form = document.querySelector("[data-part-form]");
      form.querySelector("[data-part-id]").value = pick.dataset.pickPart;
      var search = form.querySelector("[data-part-search]");
      search.value = pick.dataset.name;
      form.querySelector("[data-part-price]").placeholder = pick.dataset.price;
      document.getElementById("part-results").innerHTML = "";
      form.querySelector("[name=quantity]").focus();
      return;
    }
    var reveal = event.target.closest("[data-reveal-passcode]");
    if (reveal) {
      var code = reveal.parentElement.querySelector("[data-passcode]");
      var hidden = code.classList.toggle("d-none");
      reveal.textContent = hidden ? "Show" : "Hide";
    }
  });

  // Typing a new search forgets the part picked before.
  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-part-search]")) {
      document.querySelector("[data-part-form] [data-part-id]").value = "";
    }
  });
})();
