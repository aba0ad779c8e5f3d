/* The writing view: the rendered article beside the Markdown, a word count,
   reading time, and the headline's length against search and social limits.
   Progressive: without JavaScript the form is the plain admin form. */
(function () {
  "use strict";
  var HEADLINE_SEARCH = 70; // about what a results page shows before cutting
  var HEADLINE_SOCIAL = 100; // about what a social card shows
  var PREVIEW_UNITS = 500000; // of the body a preview sends (render below)
  var WORDS_PER_MINUTE = 230;

  function words(text) {
    var m = text.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu);
    return m ? m.length : 0;
  }

  function status(id) {
    var out = document.createElement("p");
    out.id = id;
    out.className = "desk-meter";
    out.setAttribute("role", "status");
    return out;
  }

  // Below the field's own box (the admin lays label and field out in a flex
  // row, so a sibling would squeeze in beside the field).
  function after(node, extra) {
    var box = node.closest(".flex-container") || node;
    box.parentNode.insertBefore(extra, box.nextSibling);
  }

  function setup() {
    var body = document.getElementById("id_body");
    var headline = document.getElementById("id_headline");
    if (!body || !headline) return;
    var form = body.form;
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
    var renderUrl = form.getAttribute("data-render-url") ||
      window.location.pathname.replace(/(\d+\/change|add)\/?$/, "render/");

    var headMeter = status("desk-headline-meter");
    after(headline, headMeter);
    function headlineLength() {
      var n = headline.value.length;
      var notes = [];
      if (n > HEADLINE_SEARCH) notes.push("longer than search results show (" + HEADLINE_SEARCH + ")");
      if (n > HEADLINE_SOCIAL) notes.push("longer than social cards show (" + HEADLINE_SOCIAL + ")");
      headMeter.textContent = n + " characters" + (notes.length ? ": " + notes.join("; ") : "");
      headMeter.classList.toggle("desk-meter--warn", notes.length > 0);
    }
    headline.addEventListener("input", headlineLength);
    headlineLength();

    var bodyMeter = status("desk-body-meter");
    var pane = document.createElement("section");
    pane.className = "desk-preview";
    pane.setAttribute("aria-label", "Rendered article");
    pane.tabIndex = 0;
    var heading = document.createElement("p");
    heading.className = "desk-preview__title";
    heading.textContent = "As readers will see it";
    var rendered = document.createElement("div");
    rendered.className = "desk-preview__body";
    // Why the preview stopped following the text, said where it is read
    // (a status region there from the start, so screen readers announce it).
    var state = status("desk-preview-state");
    state.className = "desk-preview__state";
    pane.appendChild(heading);
    pane.appendChild(state);
    pane.appendChild(rendered);
    // The Markdown and the rendered article side by side (stacked on a
    // narrow screen), the counts under them.
    var split = document.createElement("div");
    split.className = "desk-split";
    body.parentNode.insertBefore(split, body);
    split.appendChild(body);
    split.appendChild(pane);
    after(split, bodyMeter);
    var row = body.closest(".form-row");
    if (row) row.classList.add("desk-body-row");

    function count() {
      var n = words(body.value);
      var minutes = Math.max(1, Math.round(n / WORDS_PER_MINUTE));
      bodyMeter.textContent = n + " words · about " + minutes + " min read";
    }
    var KEPT = " Your text is still here";
    var SAID = {
      "signed-out": "The preview could not be updated: this browser is no " +
        "longer signed in (signed out in another tab, or the account was " +
        "switched off)." + KEPT + ": sign in again in a new tab and the " +
        "preview follows it again; a Save meanwhile shows the text to copy.",
      "not-allowed": "The preview could not be updated: this account may " +
        "no longer open stories (its role may have changed)." + KEPT +
        ": copy it before you leave the page.",
      refused: "The preview could not be updated: the site refused it." +
        KEPT + ": copy it before you reload the page.",
      away: "The preview could not be updated: the site did not answer." +
        KEPT + ", and the preview tries again as you type."
    };
    function say(text) {
      // Only a change is written, so typing does not repeat it.
      if (state.textContent !== text) state.textContent = text;
      pane.classList.toggle("desk-preview--stale", text !== "");
    }
    // The current CSRF token for the preview's requests: the cookie when
    // scripts can read it (a sign-in in another tab changes it), else the
    // one the page was served with. (A Save sends it, and the account that
    // opened the page, as every admin form does: newsroom/admin-forms.js.)
    function token() {
      var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
      return m ? decodeURIComponent(m[1]) : (csrf ? csrf.value : "");
    }
    var timer = null;
    // Characters as the site counts them (code points, not UTF-16 units).
    function characters(text) {
      return text.length - (text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g) || []).length;
    }
    function render() {
      var data = new FormData();
      // At most PREVIEW_UNITS of the body (at most 1.5 MB as UTF-8): a longer
      // paste is past what a request may carry, and the site refused the
      // request whole; its length goes beside it for the "too long" note.
      data.append("body", body.value.slice(0, PREVIEW_UNITS));
      data.append("length", String(characters(body.value)));
      fetch(renderUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token() }
      }).then(function (r) {
        if (r.ok) return r.json();
        // The admin says why it refused a signed-out or no longer allowed
        // session (NewsroomAdminSite.not_saved); any other 403 is the site's.
        var why = r.headers.get("X-Not-Saved");
        say(SAID[why] || (r.status === 403 ? SAID.refused : SAID.away));
        return null;
      }).then(function (json) {
        if (!json) return;
        // The server's sanitiser made this HTML (the same as the page's).
        rendered.innerHTML = json.html;
        // A body longer than a story may have: what the Save will refuse.
        say(json.too_long || "");
      }).catch(function () { say(SAID.away); });
    }
    body.addEventListener("input", function () {
      count();
      clearTimeout(timer);
      timer = setTimeout(render, 400);
    });
    count();
    render();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
