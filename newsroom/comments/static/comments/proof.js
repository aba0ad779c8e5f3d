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
