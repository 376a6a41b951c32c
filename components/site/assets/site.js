/*! site.js: the demo site's own script: the forms' render tokens, the page they were sent from and the
 * banner's consent id, and a link to the visitor's consent receipt. */
(function (w, d) {
  "use strict";
  function consent() { return w.marketingConsent && w.marketingConsent.get(); }

  // Each form carries the banner's consent id, so a Global Privacy Control signal reaches the person.
  function stamp() {
    var c = consent();
    d.querySelectorAll("form input[name=consent_id]").forEach(function (input) {
      input.value = c ? c.consentId : "";
      input.disabled = !c;
    });
  }

  function showReceipt() {
    var c = consent();
    var p = d.getElementById("receipt");
    if (!p) return;
    p.textContent = "";
    if (!c) return;
    var a = d.createElement("a");
    a.href = "/api/consent/" + encodeURIComponent(c.consentId);
    a.textContent = "Your consent receipt";
    p.appendChild(a);
  }

  function start() {
    d.querySelectorAll("form").forEach(function (form) {
      var f = form.elements;
      if (f.page_url) f.page_url.value = location.href;
      if (f.language) f.language.value = d.documentElement.lang;
      var url = form.getAttribute("data-token");
      if (!url) return;
      fetch(url).then(function (r) { return r.json(); })
        .then(function (t) { f._token.value = t.token; })
        .catch(function () {});
    });
    stamp();
    showReceipt();
  }

  d.addEventListener("consent:changed", function () { stamp(); showReceipt(); });
  d.readyState == "loading" ? d.addEventListener("DOMContentLoaded", start) : start();
})(window, document);
