/* newsroom share bar: the copy-link button copies the address and counts the
   share through a POST (CSRF token in the form and in the X-CSRFToken header);
   without this script the form still posts and counts. The network buttons are
   plain forms: they post (and count) and open the network with no script. */
(function () {
  "use strict";
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "absolute";
      area.style.left = "-9999px";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }
  document.querySelectorAll("form[data-copy-url]").forEach(function (form) {
    var bar = form.closest("[data-share]");
    var status = bar && bar.querySelector("[data-share-status]");
    var count = form.querySelector("[data-count]");
    var unit = form.querySelector("[data-count-unit]");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var url = form.getAttribute("data-copy-url");
      var say = function (text) { if (status) { status.textContent = text; } };
      copyText(url).then(
        function () { say("Link copied."); },
        function () { say("Copy this link: " + url); }
      );
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: {
          "Accept": "application/json",
          "X-Requested-With": "fetch",
          "X-CSRFToken": token ? token.value : ""
        }
      }).then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      }).then(function (data) {
        if (count) { count.textContent = "(" + data.count + ")"; }
        if (unit) { unit.textContent = data.count === 1 ? " share" : " shares"; }
        form.setAttribute("data-counted", data.counted ? "yes" : "no");
      }).catch(function () { /* the count is a nicety; copying still worked */ });
    });
  });
})();
