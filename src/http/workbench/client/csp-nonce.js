/*
 * Loaded first (main.jsx imports it before anything else). The page's Content-Security-Policy admits a
 * <style> element only with this response's nonce (`style-src-elem 'self' 'nonce-…'`), and Monaco writes
 * its theme and decoration rules into <style> elements it creates itself (GraphiQL's dialogs add one
 * too): none of them can carry a nonce of their own. The page hands its nonce over on
 * <meta property="csp-nonce" nonce="…"> (Vite's convention), and every <style> created by this page's own
 * scripts gets it. Markup that reached the page any other way is parsed, not created here, so a <style>
 * injected into it never has the nonce and is refused.
 */
const meta = document.querySelector('meta[property="csp-nonce"]');
const nonce = meta ? meta.nonce : '';

if (nonce) {
  const createElement = Document.prototype.createElement;
  Document.prototype.createElement = function (tagName, options) {
    const element = createElement.call(this, tagName, options);
    if (element.localName === 'style') element.nonce = nonce;
    return element;
  };
}
