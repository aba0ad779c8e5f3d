/* Accessible names the stock admin widgets leave out: fields in a tabular
   inline are labelled only by their column header, and the autocomplete
   widget's combobox has no name. Each gets the label a sighted editor reads. */
(function () {
  "use strict";

  function columnHeader(cell) {
    var table = cell.closest("table");
    if (!table) return "";
    var index = Array.prototype.indexOf.call(cell.parentNode.children, cell);
    var head = table.querySelectorAll("thead th")[index];
    return head ? head.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function labelFor(field) {
    if (field.id) {
      var label = document.querySelector('label[for="' + field.id + '"]');
      if (label && label.textContent.trim()) return "";  // already named
    }
    var cell = field.closest("td");
    var name = cell ? columnHeader(cell) : "";
    return name || (field.name || "").replace(/^.*-/, "").replace(/_/g, " ");
  }

  function name() {
    document.querySelectorAll(".tabular td input, .tabular td select").forEach(function (field) {
      if (field.type === "hidden" || field.getAttribute("aria-label")) return;
      var text = labelFor(field);
      if (text) field.setAttribute("aria-label", text);
    });
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = select.id && document.querySelector('label[for="' + select.id + '"]');
      var text = (label && label.textContent.replace(/:\s*$/, "").trim()) ||
        select.getAttribute("aria-label") || labelFor(select);
      var widget = select.nextElementSibling;
      if (!text || !widget || !widget.classList.contains("select2")) return;
      widget.querySelectorAll(
        ".select2-selection, .select2-selection__rendered, .select2-search__field"
      ).forEach(function (part) {
        if (!part.getAttribute("aria-label")) part.setAttribute("aria-label", text);
      });
    });
  }

  var pending = null;
  function soon() {
    clearTimeout(pending);
    pending = setTimeout(name, 50);
  }
  document.addEventListener("DOMContentLoaded", function () {
    name();
    // select2 builds its widgets after the page loads, and again for each
    // new inline row and each choice made: name them whenever they appear.
    new MutationObserver(soon).observe(document.body, { childList: true, subtree: true });
  });
})();
