// Starts the vendored ReDoc with its labels in the page's language (no inline script, so
// the page passes a strict Content-Security-Policy).
(function () {
  const el = document.getElementById("redoc");
  Redoc.init(el.dataset.specUrl, {
    labels: JSON.parse(el.dataset.labels || "{}"),
    hideDownloadButton: false,
  }, el);
})();
