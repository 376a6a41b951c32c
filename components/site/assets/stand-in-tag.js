/*! stand-in-tag.js: stands in for an analytics tag (such as Google's) on the demo site. consent.js loads
 * it only once Consent Mode's analytics_storage is granted (<script type="text/plain"
 * data-consent-mode="analytics_storage" src="/stand-in-tag.js">); the browser test checks that it does. */
(function (w, d) {
  "use strict";
  w.__standInTagLoaded = true;
  (w.dataLayer = w.dataLayer || []).push({ event: "stand_in_tag_loaded" });
  d.body.dataset.analytics = "loaded";
  var status = d.getElementById("analytics-status");
  if (status) status.textContent = "Analytics: loaded (the stand-in tag ran after analytics_storage was granted)";
})(window, document);
