// "New code" without reloading: fetch a fresh code and swap it in, so nothing
// typed is touched. Without scripts the button posts the form, and the server
// shows it again with every field kept and a new code. Too many new codes (a
// 429, from the site or from the proxy in front of it) is said beside the
// button and the focus goes to it, so a screen reader says why at once and
// the reader is where they were.
(function () {
  "use strict";
  document.querySelectorAll(".comment-form__code").forEach(function (box) {
    var button = box.querySelector("button[name=new_code]");
    var form = box.closest("form");
    var picture = box.querySelector("[data-code-image]");
    if (picture) {
      // A server drawing as many codes as it may at once answers 503: ask
      // again a moment later, a few times.
      var tries = 0;
      var again = function () {
        if (tries >= 3 || !picture.getAttribute("src")) return;
        tries += 1;
        setTimeout(function () {
          picture.src = picture.src.replace(/&again=\d+$/, "") + "&again=" + tries;
        }, 1000 * tries);
      };
      picture.addEventListener("error", again);
      picture.addEventListener("load", function () { tries = 0; });
      if (picture.complete && !picture.naturalWidth) again();  // failed already
    }
    if (!button || !form || !window.fetch) return;
    function tooMany(message) {
      var note = box.querySelector("[data-code-wait]");
      if (!note) {
        note = document.createElement("p");
        note.id = "code-wait";
        note.className = "comment-form__error";
        note.setAttribute("role", "alert");
        note.setAttribute("tabindex", "-1");
        note.setAttribute("data-code-wait", "");
        button.parentNode.insertBefore(note, button.nextSibling);
      }
      note.textContent = message;
      note.focus();
    }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      button.disabled = true;
      fetch(box.getAttribute("data-code-url"), {credentials: "same-origin",
                                                headers: {"Accept": "application/json"}})
        .then(function (r) {
          if (r.status === 429) {
            var wait = r.headers.get("Retry-After");
            var said = "Too many new codes from your network; please wait " +
              (wait ? wait + " seconds" : "a moment") + ".";
            return r.json().catch(function () { return {}; }).then(function (body) {
              tooMany((body.message || said) + " What you typed is kept.");
              return null;
            });
          }
          if (!r.ok) throw new Error(r.status);
          return r.json();
        })
        .then(function (code) {
          if (!code) return;
          form.querySelector("[data-code-token]").value = code.token;
          var image = box.querySelector("[data-code-image]");
          if (image) image.src = code.image;
          var note = box.querySelector("[data-code-wait]");
          if (note) note.parentNode.removeChild(note);
          var input = box.querySelector("input[name=code]");
          input.value = "";
          input.focus();
          box.querySelector("[data-code-status]").textContent =
            "A new code is shown.";
        })
        .catch(function () {
          // Fall back to the no-script way: the server keeps what was typed.
          var keep = document.createElement("input");
          keep.type = "hidden"; keep.name = "new_code"; keep.value = "1";
          form.appendChild(keep);
          // submit() fires no "submit" event: drop the fragment here too, or
          // the move to it takes the focus from a message the page comes
          // back with (below).
          form.action = form.action.split("#")[0];
          form.submit();
        })
        .finally(function () { button.disabled = false; });
    });
  });
})();

// "Report" without leaving the comment: the thank-you is said in a live
// region beside the button (there from the start, so a screen reader
// announces the words put in it) and the focus stays on the button. Without
// scripts, or if the request fails, the form posts and the page comes back
// with the thank-you above the comments.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) return;
  document.querySelectorAll("form.comment__report").forEach(function (form) {
    var button = form.querySelector("button");
    if (!button) return;
    var said = document.createElement("span");
    said.className = "comment__report-status";
    said.setAttribute("role", "status");
    form.appendChild(said);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (button.getAttribute("aria-disabled") === "true") return;
      button.setAttribute("aria-disabled", "true");
      fetch(form.action, {method: "POST", body: new FormData(form),
                          credentials: "same-origin",
                          headers: {"Accept": "application/json"}})
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (answer) {
          button.firstChild.textContent = "Reported";
          said.textContent = answer.message;
        })
        .catch(function () {
          button.removeAttribute("aria-disabled");
          HTMLFormElement.prototype.submit.call(form);
        });
    });
  });
})();

// After a refused post the page comes back with the form as typed. The focus
// goes to what went wrong: a message for the whole form, or else the first
// field in error (described by its message), so a screen reader says it at
// once and the reader is where to put it right. The action's #comment-form
// brings a reader without scripts to the form; with scripts it is dropped
// when the form is sent, since the browser's move to a fragment runs after
// this script and would take the focus back to the page.
(function () {
  "use strict";
  var form = document.getElementById("comment-form");
  if (!form) return;
  form.addEventListener("submit", function () {
    form.action = form.action.split("#")[0];
  });
  var first = form.querySelector(
    "#comment-form-notice, #comment-form-errors, [aria-invalid=true]");
  if (!first) return;
  if (!/^(INPUT|TEXTAREA)$/.test(first.tagName)) first.setAttribute("tabindex", "-1");
  first.focus();
})();
