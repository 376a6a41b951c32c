/*! stand-in-tag.js: stands in for a Google tag on the demo site. consent.js loads it only once the
 * Consent Mode types its script element names are granted: the analytics stand-in
 * (<script type="text/plain" data-consent-mode="analytics_storage" src="/stand-in-tag.js">) and, with
 * data-tag="ads", an advertising one; the browser test checks which ran and when. */
(function (w, d) {
  "use strict";
  var me = d.currentScript;
  var tag = (me && me.getAttribute("data-tag")) || "analytics";
  (w.dataLayer = w.dataLayer || []).push({ event: "stand_in_tag_loaded", tag: tag });
  if (tag == "ads") {
    w.__standInAdTagLoaded = true;
    return;
  }
  w.__standInTagLoaded = true;
  d.body.dataset.analytics = "loaded";
  var status = d.getElementById("analytics-status");
  if (status) status.textContent = "Analytics: loaded (the stand-in tag ran after analytics_storage was granted)";
})(window, document);
