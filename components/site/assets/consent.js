/*! consent.js: a cookie banner whose proof is kept on the server, with Google Consent Mode v2. No dependencies.
 * Load it first in <head>, without defer or async, so Consent Mode hears its defaults before any tag:
 * <script src="https://capture.example.com/consent.js" data-endpoint="https://capture.example.com"></script>
 * API: window.marketingConsent.get() -> {consentId, decisions, expiresAt, consentMode, gpc} | null; .open(); .ready (Promise)
 * Event: document "consent:changed", detail = decisions.
 * Gates: <script type="text/plain" data-category="analytics" src="..."> runs once every category it names is
 * granted; <script type="text/plain" data-consent-mode="analytics_storage" src="..."> once every Consent Mode
 * type it names is. Its stylesheet comes from the same host (consent.css): no inline style or script.
 */
(function (w, d) {
  "use strict";
  if (w.marketingConsent) return;
  var me = d.currentScript;
  var base = ((me && me.getAttribute("data-endpoint")) || (me && me.src ? new URL(me.src, location.href).origin : location.origin))
    .replace(/\/+$/, "");
  var api = base + "/api/consent";
  var COOKIE = "mc_consent";
  // The server writes the configured `consent_mode.wait_for_update_ms` here when it serves this file.
  var WAIT = 500 /*wait_for_update_ms*/;
  var TYPES = ["ad_storage", "ad_user_data", "ad_personalization", "analytics_storage",
    "functionality_storage", "personalization_storage", "security_storage"];
  // The types Google uses for advertising: what selling or sharing means to its tags.
  var SALE_TYPES = ["ad_storage", "ad_user_data", "ad_personalization"];
  var navigatorGpc = navigator.globalPrivacyControl === true;
  var cfg, T, lang, state = read(), banner, overlay, opener, live = null, told = "", readyDone;
  var ready = new Promise(function (r) { readyDone = r; });

  // Google Consent Mode: everything but security denied before any tag runs, then the stored choice.
  w.dataLayer = w.dataLayer || [];
  if (typeof w.gtag != "function") w.gtag = function () { w.dataLayer.push(arguments); };
  var defaults = { wait_for_update: WAIT };
  TYPES.forEach(function (t) { defaults[t] = t == "security_storage" ? "granted" : "denied"; });
  w.gtag("consent", "default", defaults);
  if (state && state.g) tell(mode());

  function read() {
    var m = d.cookie.match(/(?:^|;\s*)mc_consent=([^;]*)/);
    try {
      var s = m && JSON.parse(decodeURIComponent(m[1]));
      return s && s.id && s.d && Date.parse(s.e) > Date.now() ? s : null;
    } catch (e) { return null; }
  }

  function write(s) {
    var age = Math.max(0, Math.floor((Date.parse(s.e) - Date.now()) / 1000));
    d.cookie = COOKIE + "=" + encodeURIComponent(JSON.stringify(s)) + "; Max-Age=" + age +
      "; Path=/; SameSite=Lax" + (location.protocol == "https:" ? "; Secure" : "");
  }

  // Global Privacy Control as known now: the browser's own flag; once the config answered, also the
  // header the server saw; before that, what the last config said (kept in the cookie).
  function gpc() { return navigatorGpc || (cfg ? !!cfg.gpc : !!(state && state.p)); }

  // Whether the signal refuses sale and sharing now: not once the visitor kept an earlier choice.
  function signalled() { return gpc() && !(state && state.k); }

  // Decisions `dec` as the page honours them: sale and sharing refused under the signal.
  function effective(dec) {
    if (!dec || !cfg || !signalled()) return dec;
    var out = Object.assign({}, dec);
    cfg.categories.forEach(function (c) { if (c.sale_or_share) out[c.id] = false; });
    return out;
  }

  // A Consent Mode state `m` as the page may send it: advertising denied under the signal.
  function masked(m) {
    if (!signalled()) return m;
    var out = Object.assign({}, m);
    SALE_TYPES.forEach(function (t) { out[t] = "denied"; });
    return out;
  }

  // Where the visitor has not decided under an opt-out regime, everything but sale and sharing under
  // Global Privacy Control is allowed: the notice does not block.
  function noticeDefaults() {
    var dec = {};
    cfg.categories.forEach(function (c) { dec[c.id] = c.required || !(c.sale_or_share && gpc()); });
    return dec;
  }

  function decisions() {
    if (live) return effective(live);
    if (state) return effective(state.d);
    return cfg && cfg.regime == "opt_out" ? noticeDefaults() : null;
  }

  // The Consent Mode state of decisions `dec`, by the banner's mapping (as the server computes it).
  function modeOf(dec) {
    var map = cfg.consent_mode.map, mode = {};
    TYPES.forEach(function (t) {
      var cats = Object.keys(map).filter(function (c) { return map[c].indexOf(t) >= 0; });
      var granted = t == "security_storage" ||
        (cats.length > 0 && cats.every(function (c) { return dec[c] === true; }));
      mode[t] = granted ? "granted" : "denied";
    });
    return mode;
  }

  // Before the config answers, the state the server computed for the stored choice; after, the
  // decisions the page honours, by the banner's mapping.
  function mode() {
    var dec = decisions();
    if (cfg && dec) return modeOf(dec);
    return state && state.g ? masked(state.g) : null;
  }

  // Sends Consent Mode an update when its state changed.
  function tell(m) {
    if (!m) return;
    var update = {};
    TYPES.forEach(function (t) { update[t] = m[t] == "granted" ? "granted" : "denied"; });
    var text = JSON.stringify(update);
    if (text == told) return;
    told = text;
    w.gtag("consent", "update", update);
  }

  function el(tag, attrs, kids) {
    var e = d.createElement(tag);
    for (var k in attrs || {}) k == "text" ? e.textContent = attrs[k] : e.setAttribute(k, attrs[k]);
    (kids || []).forEach(function (c) { c && e.appendChild(c); });
    return e;
  }

  function local(map) { return (map && (map[lang] || map.en)) || ""; }

  function gpcNote() { return gpc() ? el("p", { "class": "mc-gpc", text: T.gpc_honored }) : null; }

  // Gated scripts run once every category and every Consent Mode type they name is granted.
  function activate() {
    var dec = decisions() || {}, m = mode() || {};
    var words = function (s, name) { return (s.getAttribute(name) || "").split(/\s+/).filter(Boolean); };
    d.querySelectorAll('script[type="text/plain"][data-category],script[type="text/plain"][data-consent-mode]').forEach(function (old) {
      var cats = words(old, "data-category"), types = words(old, "data-consent-mode");
      if (!cats.every(function (c) { return dec[c] === true; })) return;
      if (!types.every(function (t) { return m[t] == "granted"; })) return;
      var s = d.createElement("script");
      for (var i = 0; i < old.attributes.length; i++) {
        var a = old.attributes[i];
        if (a.name != "type") s.setAttribute(a.name, a.value);
      }
      s.type = old.getAttribute("data-type") || "text/javascript";
      s.text = old.text;
      old.parentNode.replaceChild(s, old);
    });
  }

  // Consent Mode hears of a change before any tag it unblocks runs.
  function changed(dec) {
    tell(mode());
    activate();
    if (dec) d.dispatchEvent(new CustomEvent("consent:changed", { detail: Object.assign({}, dec) }));
  }

  function send(dec, method, retry) {
    var body = {
      decisions: dec, banner_version: cfg.banner_version, text_hash: cfg.text_hash,
      locale: lang, page_url: location.href, method: method
    };
    if (navigatorGpc) body.gpc = true;
    if (state && !retry) body.consent_id = state.id;
    return fetch(api, {
      method: "POST", credentials: "omit", headers: { "content-type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) {
        if (r.status == 201) return j;
        // An id the server does not know (or a stale cookie): start a new one, once.
        var bad = j && j.error && (j.error.fields || []).some(function (f) { return f.field == "consent_id"; });
        if ((bad || r.status == 404) && !retry && body.consent_id && method != "keep_earlier_choice") {
          return send(dec, method, true);
        }
        throw new Error("consent: " + r.status);
      });
    });
  }

  // Records a choice: the server's effective decisions (e.g. Sec-GPC refusals) are what the page honours.
  function decide(dec, method) {
    hide();
    return send(dec, method).then(function (r) {
      state = {
        id: r.consent_id, d: r.decisions, v: r.banner_version || cfg.banner_version, e: r.expires_at,
        g: r.consent_mode, k: r.gpc && !r.gpc_honored ? 1 : 0, p: r.gpc ? 1 : 0, a: state && state.a ? 1 : 0
      };
      live = null;
      write(state);
      changed(state.d);
    }, function (e) {
      // Not recorded: honour the choice on this page only; the banner asks again on the next one.
      live = dec;
      changed(dec);
      if (w.console) console.warn(e);
    });
  }

  function all(value) {
    var dec = {};
    cfg.categories.forEach(function (c) { dec[c.id] = c.required || value; });
    return dec;
  }

  function row(kids) { return el("div", { "class": "mc-row" }, kids); }

  function button(text, onclick, name) {
    var b = el("button", { type: "button", "class": "mc-btn", "data-mc": name, text: text });
    b.onclick = onclick;
    return b;
  }

  function region(kids) {
    banner = el("section", { "class": "mc-banner", role: "region", "aria-labelledby": "mc-title", lang: lang }, kids);
    d.body.insertBefore(banner, d.body.firstChild);
  }

  // The opt-in banner, or under an opt-out regime the notice with "Do not sell or share".
  function showBanner() {
    if (banner) return;
    var notice = cfg.regime == "opt_out";
    var accept = button(T.accept_all, function () { decide(all(true), "accept_all"); }, "accept");
    var preferences = button(T.preferences, function () { open(this, false); }, "preferences");
    var second = notice
      ? button(T.do_not_sell, function () {
        var dec = {};
        cfg.categories.forEach(function (c) { dec[c.id] = c.required || !c.sale_or_share; });
        decide(dec, "do_not_sell_or_share");
      }, "do-not-sell")
      : button(T.reject_all, function () { decide(all(false), "reject_all"); }, "reject");
    region([
      el("h2", { id: "mc-title", text: notice ? T.notice_title : T.title }),
      el("p", { text: notice ? T.notice_body : T.body }),
      gpcNote(),
      row([accept, second, preferences])
    ]);
  }

  // Global Privacy Control against an earlier opt-in of this browser: the signal has won already; the
  // visitor is asked once whether to keep the earlier choice (CCPA regulations §7025(c)(3)).
  function askConflict(earlier) {
    state.a = 1;
    write(state);
    region([
      el("h2", { id: "mc-title", text: T.title }),
      el("p", { "class": "mc-gpc", text: T.gpc_honored }),
      el("p", { text: T.gpc_conflict }),
      row([
        button(T.keep_choice, function () { decide(earlier, "keep_earlier_choice"); }, "keep"),
        button(T.keep_opted_out, hide, "stay")
      ])
    ]);
  }

  function conflicting() {
    return state && !state.k && gpc() && cfg.categories.some(function (c) { return c.sale_or_share && state.d[c.id] === true; });
  }

  function hide() {
    if (banner) banner.remove();
    banner = null;
    close();
  }

  function focusables() {
    return [].slice.call(overlay.querySelectorAll("button,input:not([disabled]),a[href]"));
  }

  // The preferences dialog. `again`: opened from a settings link, so refusing everything is a withdrawal.
  function open(from, again) {
    if (!cfg || overlay) return;
    opener = from || d.activeElement;
    var cur = decisions() || {};
    var list = cfg.categories.map(function (c) {
      var box = el("input", { type: "checkbox", role: "switch", "data-category": c.id, "aria-describedby": "mc-d-" + c.id });
      box.checked = c.required || cur[c.id] === true;
      box.disabled = !!c.required;
      return el("li", {}, [
        el("label", {}, [box, el("b", { text: local(c.label) })]),
        el("p", { id: "mc-d-" + c.id, text: local(c.description) })
      ]);
    });
    var dialog = el("div", { "class": "mc-dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": "mc-dtitle", lang: lang }, [
      el("h2", { id: "mc-dtitle", text: T.preferences }),
      gpcNote(),
      el("ul", {}, list),
      row([
        button(T.accept_all, function () { decide(all(true), "accept_all"); }, "accept"),
        button(T.reject_all, function () { decide(all(false), again && state ? "withdraw" : "reject_all"); }, "reject"),
        button(T.save, function () {
          var dec = {};
          dialog.querySelectorAll("input[data-category]").forEach(function (b) { dec[b.getAttribute("data-category")] = b.checked; });
          decide(dec, again && state ? "preferences" : "custom");
        }, "save")
      ])
    ]);
    var x = button("\u00d7", close, "close");
    x.className = "mc-x";
    x.setAttribute("aria-label", T.close);
    dialog.insertBefore(x, dialog.firstChild);
    overlay = el("div", { "class": "mc-overlay" }, [dialog]);
    overlay.addEventListener("keydown", function (e) {
      if (e.key == "Escape") { e.preventDefault(); close(); return; }
      if (e.key != "Tab") return;
      var f = focusables(), first = f[0], last = f[f.length - 1];
      if (e.shiftKey ? d.activeElement == first : d.activeElement == last) {
        e.preventDefault();
        (e.shiftKey ? last : first).focus();
      }
    });
    overlay.addEventListener("focusout", function (e) {
      if (overlay && e.relatedTarget && !overlay.contains(e.relatedTarget)) focusables()[0].focus();
    });
    d.body.appendChild(overlay);
    (dialog.querySelector("input:not([disabled])") || x).focus();
  }

  function close() {
    if (!overlay) return;
    overlay.remove();
    overlay = null;
    var back = opener && d.contains(opener) ? opener : banner && banner.querySelector("button");
    if (back) back.focus();
  }

  function start() {
    d.addEventListener("click", function (e) {
      var t = e.target.closest && e.target.closest("[data-consent-settings]");
      if (!t) return;
      e.preventDefault();
      open(t, true);
    });
    // Gated scripts wait for the config: only then is a signal seen by the server known, and which
    // categories it refuses.
    fetch(api + "/config", { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error("consent config: " + r.status);
      return r.json();
    }).then(function (c) {
      cfg = c;
      var want = (d.documentElement.lang || "en").toLowerCase().split("-")[0];
      lang = c.texts[want] ? want : "en";
      T = c.texts[lang];
      if (state && state.p != (c.gpc ? 1 : 0)) {
        state.p = c.gpc ? 1 : 0;
        write(state);
      }
      if (!state || state.v != c.banner_version) {
        showBanner();
      } else if (conflicting()) {
        var earlier = Object.assign({}, state.d), asked = state.a;
        return decide(earlier, "gpc_signal").then(function () { if (!asked && state) askConflict(earlier); });
      }
      changed(null);
    }).catch(function (e) {
      // No config: a stored choice still holds, unless a signal may refuse part of it.
      if (state && !signalled()) activate();
      if (w.console) console.warn(e);
    }).then(function () { readyDone(!!banner); });
  }

  w.marketingConsent = {
    get: function () {
      return state && !live ? {
        consentId: state.id, decisions: Object.assign({}, decisions()), expiresAt: state.e,
        consentMode: Object.assign({}, mode()), gpc: gpc()
      } : null;
    },
    open: function () { open(null, true); },
    ready: ready
  };

  d.head.appendChild(el("link", { rel: "stylesheet", href: base + "/consent.css" }));
  d.readyState == "loading" ? d.addEventListener("DOMContentLoaded", start) : start();
})(window, document);
