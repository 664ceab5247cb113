/* With STATIC_CDN on: what the CDN did not deliver comes from static/vendor/.
 *
 * {% vendor_js %} runs this file right after each library's CDN <script>, with
 * the library's global (data-probe) and local copy (data-local). A script runs
 * only once the stylesheets before it have loaded or failed, so by then a CDN
 * stylesheet ({% vendor_css %}, data-local) without rules has failed (Chromium
 * gives a failed stylesheet an empty sheet; the CDN's are read with CORS).
 * document.write keeps the local script synchronous: scripts after it still
 * find the library defined.
 */
(function () {
  "use strict";

  function loaded(link) {
    try {
      return link.sheet !== null && link.sheet.cssRules.length > 0;
    } catch (error) {
      return false;
    }
  }

  document.querySelectorAll("link[rel=stylesheet][data-local]").forEach(function (link) {
    if (loaded(link)) return;
    link.removeAttribute("integrity");
    link.href = link.dataset.local;
    delete link.dataset.local;
  });

  var script = document.currentScript;
  if (script && script.dataset.probe && !window[script.dataset.probe]) {
    document.write('<script src="' + script.dataset.local + '"><\/script>');
  }
})();
