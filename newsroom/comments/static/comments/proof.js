// The accessible confirmation: the vendored ALTCHA widget solves a
// proof-of-work in Web Workers started from this site's own worker file, so
// the page needs no inline script and no blob: worker
// (script-src 'self'; worker-src 'self' is enough). Loaded as a module after
// vendor/altcha/altcha.min.js, which defines window.$altcha.
const widgets = document.querySelectorAll("altcha-widget[data-worker]");
if (widgets.length && window.$altcha) {
  const url = widgets[0].getAttribute("data-worker");
  for (const name of ["PBKDF2/SHA-256", "PBKDF2/SHA-384", "PBKDF2/SHA-512"]) {
    window.$altcha.algorithms.set(name, () => new Worker(url));
  }
}

// The widget says only "Verification failed. Try again later." when the site
// refuses it a challenge. Its fetch goes through this one, which says why and
// when beside it, in the alert region the form has from the start (so a
// screen reader announces it): too many codes and checks from the network (a
// 429 from the site, or from the proxy in front of it), try again in
// Retry-After. The next answer that is not a refusal clears it.
function waitFor(seconds) {
  const n = Number.parseInt(seconds, 10);
  if (!(n > 0)) return "a moment";
  if (n < 120) return n + (n === 1 ? " second" : " seconds");
  return Math.ceil(n / 60) + " minutes";
}

function explain(widget) {
  const said = widget.parentNode.querySelector("[data-proof-status]");
  if (!said || typeof widget.configure !== "function") return;
  widget.configure({
    fetch: (url, options) =>
      fetch(url, options).then((answer) => {
        if (answer.status === 429) {
          said.textContent =
            "Too many codes and checks from your network just now: try again in " +
            waitFor(answer.headers.get("Retry-After")) +
            ". What you typed is kept.";
        } else {
          said.textContent = "";
        }
        return answer;
      }),
  });
}

if (widgets.length && window.customElements) {
  customElements.whenDefined("altcha-widget").then(() => widgets.forEach(explain));
}
