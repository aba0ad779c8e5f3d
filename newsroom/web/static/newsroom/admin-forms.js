// Every admin form sends the current CSRF token and the account that opened
// its page. A sign-in in another tab changes the token this page was served
// with: Django refused the form as a forged one, what was typed lost. Sent
// with the current token, a form opened by one account and sent after another
// signed in would be that other account's work: the account that opened the
// page goes with it, and the site refuses the form (with its text) when it is
// not the one signed in now (NewsroomAdminSite.admin_view). Signing out is
// nobody's work: its form sends the token alone.
(function () {
  "use strict";
  var opener = document.querySelector("meta[name=newsroom-account]");
  var openedAs = opener ? opener.content : "";
  function token() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      if ((form.getAttribute("method") || "").toLowerCase() !== "post") return;
      // Only a form sent to this site: the token never goes anywhere else
      // (a form in text shown on the page, say, with a field of that name).
      if (new URL(form.action, location.href).origin !== location.origin) return;
      var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
      var current = token();
      if (csrf && current) csrf.value = current;
      if (!openedAs || form.id === "logout-form") return;
      var field = form.querySelector("input[name=_opened_as]");
      if (!field) {
        field = document.createElement("input");
        field.type = "hidden";
        field.name = "_opened_as";
        form.appendChild(field);
      }
      field.value = openedAs;
    },
    true
  );
})();
