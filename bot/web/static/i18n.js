/*
 * complaintbot console and dashboard languages: one switch for both pages (zh-CN / en).
 *
 * Every visible string comes from a message catalogue (bot/web/static/i18n/<locale>.json,
 * served by GET /api/console/locales): static markup names its key in data-i18n (the text)
 * or data-i18n-attr ("placeholder:key;aria-label:key"), scripts call I18n.t(key, params).
 * The language is the signed-in agent's own choice (stored on the server), else the
 * browser's, else COMPLAINTBOT_DEFAULT_LOCALE. Dates and times are shown in the SLA
 * policy's time zone, the one the bot quotes deadlines to customers in, with the zone named.
 */
(function () {
  "use strict";

  var state = {
    locale: "en",
    defaultLocale: "en",
    locales: ["en"],
    catalogues: { en: {} },
    zone: "UTC",
    zoneNameZh: null
  };
  var listeners = [];

  function has(locale) { return state.locales.indexOf(locale) >= 0; }

  // The browser's preferred languages, best first, matched on the language ("zh-TW" and
  // "zh" pick zh-CN, "en-GB" picks en).
  function fromBrowser() {
    var wanted = navigator.languages && navigator.languages.length
      ? navigator.languages : [navigator.language || ""];
    for (var i = 0; i < wanted.length; i++) {
      var tag = String(wanted[i] || "");
      if (has(tag)) return tag;
      var base = tag.split("-")[0].toLowerCase();
      for (var j = 0; j < state.locales.length; j++) {
        if (state.locales[j].split("-")[0].toLowerCase() === base) return state.locales[j];
      }
    }
    return null;
  }

  function pick(agentLocale) {
    if (agentLocale && has(agentLocale)) return agentLocale;
    return fromBrowser() || state.defaultLocale;
  }

  function fill(text, params) {
    if (!params) return text;
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : all;
    });
  }

  function t(key, params) { return tIn(state.locale, key, params); }

  function tIn(locale, key, params) {
    var text = (state.catalogues[locale] || {})[key];
    if (text === undefined) text = state.catalogues.en[key];
    if (text === undefined) {
      if (window.console) window.console.warn("missing message " + key);
      return key;
    }
    return fill(text, params);
  }

  // A code from the server (severity, status, category...) under its catalogue family.
  function label(family, code) {
    if (code === null || code === undefined || code === "") return "—";
    var key = family + "." + code;
    var known = state.catalogues[state.locale] || {};
    return key in known || key in state.catalogues.en ? t(key) : String(code);
  }

  function apply(root) {
    root = root || document;
    var nodes = root.querySelectorAll("[data-i18n]");
    for (var i = 0; i < nodes.length; i++) nodes[i].textContent = t(nodes[i].dataset.i18n);
    var attributed = root.querySelectorAll("[data-i18n-attr]");
    for (var k = 0; k < attributed.length; k++) {
      attributed[k].dataset.i18nAttr.split(";").forEach(function (pair) {
        var parts = pair.split(":");
        if (parts.length === 2) attributed[k].setAttribute(parts[0].trim(), t(parts[1].trim()));
      });
    }
    if (root === document) {
      document.documentElement.lang = state.locale;
      if (document.body.dataset.i18nTitle) document.title = t(document.body.dataset.i18nTitle);
    }
  }

  // --- times in the policy's zone --------------------------------------------------------

  function zoneParts(date) {
    var found = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: state.zone, year: "numeric", month: "numeric", day: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "shortOffset"
    }).formatToParts(date).forEach(function (part) { found[part.type] = part.value; });
    return found;
  }

  function pad(n) { return (Number(n) < 10 ? "0" : "") + Number(n); }

  // "GMT+8" -> "UTC+8", "GMT" -> "UTC": what the bot tells English-speaking customers.
  function offsetName(parts) {
    return (parts.timeZoneName || "GMT").replace(/^GMT/, "UTC");
  }

  // An instant as the bot writes deadlines: "12月5日 09:27（北京时间）", "05 Dec 09:27 (UTC+8)";
  // the year only when it is not this year.
  // `locale`: another language than the page's (a canned reply in the customer's).
  function time(iso, locale) {
    if (!iso) return "—";
    var date = new Date(iso);
    if (isNaN(date)) return String(iso);
    locale = locale && has(locale) ? locale : state.locale;
    var parts = zoneParts(date);
    var months = tIn(locale, "time.months").split(",");
    var zoneName = locale === "zh-CN" && state.zoneNameZh ? state.zoneNameZh
      : offsetName(parts);
    var text = tIn(locale, "time.format", {
      month: Number(parts.month), mon: months[Number(parts.month) - 1], day: pad(parts.day),
      d: Number(parts.day), hh: pad(parts.hour), mm: parts.minute, zone: zoneName
    });
    if (Number(parts.year) !== Number(zoneParts(new Date()).year)) {
      text = tIn(locale, "time.with_year", { year: parts.year, time: text });
    }
    return text;
  }

  // "3 分钟前", "in 2 hr."; `now` in milliseconds (default: this moment).
  function relative(iso, now) {
    var date = new Date(iso);
    if (!iso || isNaN(date)) return "";
    var seconds = (date.getTime() - (now === undefined ? Date.now() : now)) / 1000;
    var abs = Math.abs(seconds), unit = "second", value = seconds;
    if (abs >= 2 * 86400) { unit = "day"; value = seconds / 86400; }
    else if (abs >= 3600) { unit = "hour"; value = seconds / 3600; }
    else if (abs >= 60) { unit = "minute"; value = seconds / 60; }
    var format = new Intl.RelativeTimeFormat(state.locale, { numeric: "auto", style: "short" });
    return format.format(Math.round(value), unit);
  }

  // Absolute and relative side by side: "12月5日 09:27（北京时间） · 3小时后".
  function when(iso) {
    if (!iso) return "—";
    var rel = relative(iso);
    return rel ? t("time.beside", { time: time(iso), relative: rel }) : time(iso);
  }

  function use(locale) {
    if (!has(locale)) return;
    state.locale = locale;
    apply(document);
    var picker = document.getElementById("locale-switch");
    if (picker) picker.value = locale;
    listeners.forEach(function (listener) { listener(locale); });
  }

  // The language switch (a <select id="locale-switch">): `save` stores the choice for the
  // signed-in agent (nothing to store before sign-in).
  function bindSwitch(save) {
    var picker = document.getElementById("locale-switch");
    if (!picker) return;
    picker.textContent = "";
    state.locales.forEach(function (locale) {
      var option = document.createElement("option");
      option.value = locale;
      option.textContent = t("switch." + locale);
      picker.appendChild(option);
    });
    picker.value = state.locale;
    picker.addEventListener("change", function () {
      use(picker.value);
      if (save) save(picker.value);
    });
  }

  // The catalogues, the default and the zone; the page starts even when they cannot be
  // had (a gateway restarting): it then shows message keys until it is reloaded.
  function load() {
    return fetch("/api/console/locales", { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("locales: " + response.status);
        return response.json();
      })
      .then(function (found) {
        state.defaultLocale = found.default_locale;
        state.locales = found.locales;
        state.catalogues = found.catalogues;
        state.zone = found.timezone.id;
        state.zoneNameZh = found.timezone.name_zh;
        state.locale = pick(null);
        apply(document);
      })
      .catch(function (error) {
        if (window.console) window.console.warn("no message catalogues: " + error.message);
      });
  }

  window.I18n = {
    load: load,
    t: t,
    label: label,
    apply: apply,
    use: use,
    pick: pick,
    bindSwitch: bindSwitch,
    onChange: function (listener) { listeners.push(listener); },
    locale: function () { return state.locale; },
    time: time,
    relative: relative,
    when: when,
    // Saves the signed-in person's choice; a failure keeps the page in the chosen language.
    save: function (locale) {
      return fetch("/api/console/me/locale", {
        method: "PUT", credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ locale: locale })
      }).catch(function () {});
    }
  };
})();
