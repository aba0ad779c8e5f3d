// Suggestions for the header search box: words and headlines from
// /search/suggest. Without JavaScript the box is a plain GET form.
(function () {
  "use strict";
  var input = document.getElementById("search-q");
  if (!input || !input.dataset.suggest || !window.fetch) return;
  var form = input.form;
  var list = document.createElement("ul");
  list.id = "search-suggest";
  list.className = "suggest";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  form.appendChild(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  var timer = null, seq = 0, active = -1, items = [];

  function close() {
    list.hidden = true; list.innerHTML = ""; items = []; active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }
  function choose(item) {
    if (item.url) { window.location.href = item.url; return; }
    input.value = item.text; close(); form.submit();
  }
  function mark(i) {
    items.forEach(function (it, n) { it.el.setAttribute("aria-selected", n === i ? "true" : "false"); });
    active = i;
    if (i >= 0) input.setAttribute("aria-activedescendant", items[i].el.id);
  }
  function show(data) {
    close();
    var rows = data.terms.map(function (t) { return { text: t, kind: "Search for" }; })
      .concat(data.headlines.map(function (h) { return { text: h.headline, url: h.url, kind: "Article" }; }));
    if (!rows.length) return;
    rows.forEach(function (row, n) {
      var li = document.createElement("li");
      li.id = "search-suggest-" + n;
      li.setAttribute("role", "option");
      var kind = document.createElement("span");
      kind.className = "suggest__kind"; kind.textContent = row.kind;
      li.appendChild(kind);
      li.appendChild(document.createTextNode(row.text));  // text, never HTML
      li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(row); });
      list.appendChild(li);
      row.el = li; items.push(row);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }
  function ask() {
    var q = input.value.trim();
    if (q.length < 2) { close(); return; }
    var mine = ++seq;
    fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && mine === seq) show(data); })
      .catch(function () {});
  }
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 120); });
  input.addEventListener("keydown", function (e) {
    if (list.hidden) return;
    if (e.key === "ArrowDown") { e.preventDefault(); mark((active + 1) % items.length); }
    else if (e.key === "ArrowUp") { e.preventDefault(); mark((active - 1 + items.length) % items.length); }
    else if (e.key === "Escape") { close(); }
    else if (e.key === "Enter" && active >= 0) { e.preventDefault(); choose(items[active]); }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });
})();
