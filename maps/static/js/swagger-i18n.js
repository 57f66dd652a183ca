// Swagger UI ships English only and has no translation option: on a Chinese page this
// replaces its known labels (the page's data-labels, English → Chinese) as it renders them.
// Operation texts come from the OpenAPI document and are left alone.
(function () {
  const el = document.getElementById("swagger-ui");
  if (!el || !el.dataset.labels) return;
  const labels = JSON.parse(el.dataset.labels);
  const swap = (node) => {
    const text = node.nodeValue.trim();
    if (text && Object.prototype.hasOwnProperty.call(labels, text)) {
      node.nodeValue = node.nodeValue.replace(text, labels[text]);
    }
  };
  const walk = (root) => {
    if (root.nodeType === Node.TEXT_NODE) { swap(root); return; }
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    const it = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = it.nextNode(); n; n = it.nextNode()) swap(n);
    root.querySelectorAll("[placeholder]").forEach((input) => {
      const p = input.getAttribute("placeholder");
      if (Object.prototype.hasOwnProperty.call(labels, p)) input.setAttribute("placeholder", labels[p]);
    });
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "characterData") swap(r.target);
      r.addedNodes.forEach(walk);
    }
  }).observe(el, { childList: true, subtree: true, characterData: true });
  walk(el);
})();
