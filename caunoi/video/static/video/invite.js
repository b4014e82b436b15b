// The invite list's filter: type part of a name, a facility or a specialty, with or without
// Vietnamese diacritics ("lung cu" finds "Lũng Cú"). Each row carries its words already folded
// by the server (caunoi.core.text.fold) in data-search; the query is folded the same way here.
// Ticked people stay visible whatever is typed. Without this script the whole list shows.
(function () {
  "use strict";
  var box = document.getElementById("invite-search-box");
  var input = document.getElementById("invite-search");
  var list = document.getElementById("invitee-list");
  var result = document.getElementById("invite-search-result");
  if (!box || !input || !list || !result) { return; }

  function fold(text) {
    // đ is a letter of its own, not d with a mark: NFD leaves it, so it is mapped first.
    return text.replace(/[đĐ]/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/\s+/g, " ").trim();
  }

  var rows = Array.prototype.slice.call(list.querySelectorAll("li[data-search]"));

  function apply() {
    var words = fold(input.value).split(" ").filter(Boolean);
    var matches = 0;
    rows.forEach(function (row) {
      var haystack = row.getAttribute("data-search") || "";
      var match = words.every(function (word) { return haystack.indexOf(word) !== -1; });
      var ticked = row.querySelector("input:checked") !== null;
      row.hidden = !(match || ticked);
      if (match) { matches += 1; }
    });
    result.textContent = words.length && matches === 0 ? result.getAttribute("data-none") : "";
  }

  input.addEventListener("input", apply);
  // Enter in the search box filters; it must not send the form.
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); }
  });
  box.hidden = false;
})();
