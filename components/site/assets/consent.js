/*! consent.js: a cookie banner whose proof is kept on the server. No dependencies.
 * <script src="https://capture.example.com/consent.js" data-endpoint="https://capture.example.com" defer></script>
 * API: window.marketingConsent.get() -> {consentId, decisions, expiresAt} | null; .open(); .ready (Promise)
 * Event: document "consent:changed", detail = decisions. Gate: <script type="text/plain" data-category="analytics">
 */
(function (w, d) {
  "use strict";
  if (w.marketingConsent) return;
  var me = d.currentScript;
  var base = (me && me.getAttribute("data-endpoint")) || (me && me.src ? new URL(me.src, location.href).origin : location.origin);
  var api = base.replace(/\/+$/, "") + "/api/consent";
  var COOKIE = "mc_consent";
  var cfg, T, lang, state = read(), banner, overlay, opener, reopened, live = null, readyDone;
  var ready = new Promise(function (r) { readyDone = r; });

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

  function decisions() { return (live || (state && state.d)) || null; }

  function el(tag, attrs, kids) {
    var e = d.createElement(tag);
    for (var k in attrs || {}) k == "text" ? e.textContent = attrs[k] : e.setAttribute(k, attrs[k]);
    (kids || []).forEach(function (c) { c && e.appendChild(c); });
    return e;
  }

  function local(map) { return (map && (map[lang] || map.en)) || ""; }

  // Scripts <script type="text/plain" data-category="a b"> run once every category they name is granted.
  function activate() {
    var dec = decisions() || {};
    d.querySelectorAll('script[type="text/plain"][data-category]').forEach(function (old) {
      var cats = old.getAttribute("data-category").split(/\s+/);
      if (!cats.every(function (c) { return dec[c] === true; })) return;
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

  function changed(dec) {
    activate();
    d.dispatchEvent(new CustomEvent("consent:changed", { detail: Object.assign({}, dec) }));
  }

  function send(dec, method, retry) {
    var body = {
      decisions: dec, banner_version: cfg.banner_version, text_hash: cfg.text_hash,
      locale: lang, page_url: location.href, method: method
    };
    if (state && !retry) body.consent_id = state.id;
    return fetch(api, {
      method: "POST", credentials: "omit", headers: { "content-type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) {
        if (r.status == 201) return j;
        // An id the server does not know (or a stale cookie): start a new one, once.
        var bad = j && j.error && (j.error.fields || []).some(function (f) { return f.field == "consent_id"; });
        if ((bad || r.status == 404) && !retry && body.consent_id) return send(dec, method, true);
        throw new Error("consent: " + r.status);
      });
    });
  }

  // Records a choice: the server's effective decisions (e.g. Sec-GPC refusals) are what the page honours.
  function decide(dec, method) {
    hide();
    return send(dec, method).then(function (r) {
      state = { id: r.consent_id, d: r.decisions, v: r.banner_version || cfg.banner_version, e: r.expires_at };
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

  function buttons(onAccept, onReject, extra) {
    return el("div", { "class": "mc-row" }, [
      button(T.accept_all, onAccept, "accept"),
      button(T.reject_all, onReject, "reject"),
      extra
    ]);
  }

  function button(text, onclick, name) {
    var b = el("button", { type: "button", "class": "mc-btn", "data-mc": name, text: text });
    b.onclick = onclick;
    return b;
  }

  function showBanner() {
    if (banner) return;
    banner = el("section", { "class": "mc-banner", role: "region", "aria-labelledby": "mc-title", lang: lang }, [
      el("h2", { id: "mc-title", text: T.title }),
      el("p", { text: T.body }),
      buttons(function () { decide(all(true), "accept_all"); }, function () { decide(all(false), "reject_all"); },
        button(T.preferences, function () { open(this, false); }, "preferences"))
    ]);
    d.body.insertBefore(banner, d.body.firstChild);
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
    reopened = again;
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
      el("ul", {}, list),
      buttons(function () { decide(all(true), "accept_all"); },
        function () { decide(all(false), again && state ? "withdraw" : "reject_all"); },
        button(T.save, function () {
          var dec = {};
          dialog.querySelectorAll("input[data-category]").forEach(function (b) { dec[b.getAttribute("data-category")] = b.checked; });
          decide(dec, again && state ? "preferences" : "custom");
        }, "save"))
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
    if (state) activate();
    fetch(api + "/config", { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error("consent config: " + r.status);
      return r.json();
    }).then(function (c) {
      cfg = c;
      var want = (d.documentElement.lang || "en").toLowerCase().split("-")[0];
      lang = c.texts[want] ? want : "en";
      T = c.texts[lang];
      if (!state || state.v != c.banner_version) showBanner();
    }).catch(function (e) {
      if (w.console) console.warn(e);
    }).then(function () { readyDone(!!banner); });
  }

  w.marketingConsent = {
    get: function () {
      return state && !live ? { consentId: state.id, decisions: Object.assign({}, state.d), expiresAt: state.e } : null;
    },
    open: function () { open(null, true); },
    ready: ready
  };

  var css = el("style", {
    text: ".mc-banner{position:fixed;z-index:2147483646;left:1rem;right:1rem;bottom:1rem;max-width:40rem;margin:auto;" +
      "background:#fff;color:#222;border:1px solid #888;border-radius:.5rem;padding:1rem 1.25rem;box-shadow:0 4px 24px #0004;font:15px/1.45 system-ui,sans-serif}" +
      ".mc-banner h2,.mc-dialog h2{font-size:1.15rem;margin:0 0 .5rem}.mc-banner p{margin:0 0 1rem}" +
      ".mc-row{display:flex;flex-wrap:wrap;gap:.5rem}" +
      ".mc-btn{flex:1 1 0;min-width:8rem;margin:0;font:inherit;font-weight:600;padding:.6rem 1rem;border-radius:.4rem;border:1px solid #1d3c78;background:#1d3c78;color:#fff;cursor:pointer}" +
      ".mc-btn:focus-visible,.mc-x:focus-visible,.mc-dialog input:focus-visible{outline:3px solid #f0b400;outline-offset:2px}" +
      ".mc-overlay{position:fixed;z-index:2147483647;inset:0;background:#0008;display:flex;align-items:center;justify-content:center;padding:1rem}" +
      ".mc-dialog{position:relative;background:#fff;color:#222;border-radius:.5rem;padding:1.25rem;max-width:34rem;width:100%;max-height:90vh;overflow:auto;font:15px/1.45 system-ui,sans-serif}" +
      ".mc-dialog ul{list-style:none;margin:0 0 1rem;padding:0}.mc-dialog li{border-top:1px solid #ddd;padding:.6rem 0}" +
      ".mc-dialog label{display:flex;gap:.6rem;align-items:center}.mc-dialog input{width:1.2rem;height:1.2rem;accent-color:#1d3c78}" +
      ".mc-dialog li p{margin:.25rem 0 0 1.8rem;color:#555;font-size:.9em}" +
      ".mc-x{position:absolute;top:.5rem;right:.5rem;margin:0;font:inherit;font-size:1.4rem;line-height:1;color:#222;background:none;border:0;cursor:pointer;padding:.25rem .5rem}"
  });
  d.head.appendChild(css);
  d.readyState == "loading" ? d.addEventListener("DOMContentLoaded", start) : start();
})(window, document);
