/*
 * complaintbot web chat widget. One tag adds a chat bubble to any page:
 *
 *   <script src="https://support.example.com/widget.js" defer
 *           data-lang="zh" data-title="在线客服"></script>
 *
 * The gateway is the origin (and path) the script itself was loaded from, so the tag works
 * on any site. Optional data- attributes on the script tag:
 *   data-lang      "zh", "en" or "auto" (default: the visitor's browser language)
 *   data-title     heading of the chat panel
 *   data-welcome   first line shown above the conversation
 *   data-position  "right" (default) or "left"
 *   data-color     accent colour, any CSS colour ("#0a7d5a")
 *   data-open      "true" opens the panel when the page loads
 *   data-gateway   the gateway's URL when it is not where the script came from (a CDN copy)
 * Any element with a data-complaintbot-open attribute opens the chat when clicked, and
 * window.ComplaintbotWidget.open() / .close() do the same from a script.
 *
 * Plain JavaScript without dependencies or a build step. Every message text is set with
 * textContent, never parsed as HTML.
 */
(function () {
  "use strict";

  if (window.ComplaintbotWidget) return; // the tag was included twice

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script) return;
  var options = script.dataset;
  var base = new URL(options.gateway ? options.gateway.replace(/\/?$/, "/") : ".", script.src);

  var STRINGS = {
    en: {
      bubble: "Chat with us",
      unread: function (n) { return n === 1 ? "1 new message" : n + " new messages"; },
      title: "Customer service",
      close: "Close chat",
      log: "Conversation",
      label: "Your message",
      placeholder: "Tell us what happened…",
      send: "Send",
      hint: "Enter sends, Shift+Enter starts a new line",
      typing: "The assistant is typing…",
      connecting: "Connecting…",
      online: "Online",
      offline: "Connection lost, reconnecting…",
      waiting: "Will be sent when the connection is back",
      notSent: "Not sent",
      you: "You",
      bot: "Assistant",
      agent: "Agent",
      system: "Notice",
      choices: "Choices",
      welcome: "Hello! Tell us what went wrong and we will take it from there.",
      errors: {
        too_long: "That message is too long; please shorten it.",
        rate_limited: "You are sending very quickly; please wait a moment.",
        server_error: "Something went wrong on our side; please send it again.",
        other: "That could not be sent."
      }
    },
    zh: {
      bubble: "联系客服",
      unread: function (n) { return n + " 条新消息"; },
      title: "在线客服",
      close: "关闭对话",
      log: "对话记录",
      label: "您的消息",
      placeholder: "请描述您遇到的问题…",
      send: "发送",
      hint: "按 Enter 发送，Shift+Enter 换行",
      typing: "客服助手正在输入…",
      connecting: "正在连接…",
      online: "在线",
      offline: "连接已断开，正在重连…",
      waiting: "网络恢复后自动发送",
      notSent: "未发送",
      you: "我",
      bot: "客服助手",
      agent: "人工客服",
      system: "系统提示",
      choices: "选项",
      welcome: "您好！请告诉我们遇到了什么问题，我们会尽快为您处理。",
      errors: {
        too_long: "消息太长了，请精简后再发送。",
        rate_limited: "发送太频繁了，请稍候再试。",
        server_error: "系统出了点问题，请重新发送。",
        other: "消息未能发送。"
      }
    }
  };

  function pickLanguage(wanted) {
    var candidates = [wanted || "auto"];
    if (candidates[0] === "auto") {
      candidates = (navigator.languages && navigator.languages.length
        ? Array.prototype.slice.call(navigator.languages)
        : [navigator.language || "en"]);
    }
    for (var i = 0; i < candidates.length; i++) {
      var code = String(candidates[i]).toLowerCase();
      if (code.indexOf("zh") === 0) return "zh";
      if (code.indexOf("en") === 0) return "en";
    }
    return "en";
  }

  var lang = pickLanguage((options.lang || "").toLowerCase());
  var t = STRINGS[lang];

  // --- the browser's session: random, kept so a reload continues the same conversation ---
  var SESSION_KEY = "complaintbot.webchat.session";
  var OPEN_KEY = "complaintbot.webchat.open";
  var SESSION_RE = /^wc_[0-9a-f]{32}$/;

  function storedSession() {
    try {
      var value = window.localStorage.getItem(SESSION_KEY);
      return value && SESSION_RE.test(value) ? value : null;
    } catch (e) {
      return null; // storage blocked (privacy settings, sandboxed frame)
    }
  }

  function newSession() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var id = "wc_" + Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
    try { window.localStorage.setItem(SESSION_KEY, id); } catch (e) { /* kept in memory */ }
    return id;
  }

  function remember(key, value) {
    try { window.sessionStorage.setItem(key, value); } catch (e) { /* not essential */ }
  }

  function recall(key) {
    try { return window.sessionStorage.getItem(key); } catch (e) { return null; }
  }

  // --- DOM, inside a shadow root so the host page's CSS and ours never mix ---
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function chatIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
    svg.appendChild(path);
    return svg;
  }

  var host = el("div", { id: "complaintbot-widget" });
  host.style.display = "none"; // until our stylesheet is in, so nothing flashes unstyled
  var shadow = host.attachShadow({ mode: "open" });
  var stylesheet = el("link", { rel: "stylesheet", href: new URL("widget.css", base).href });
  function reveal() { host.style.display = ""; }
  stylesheet.addEventListener("load", reveal);
  stylesheet.addEventListener("error", reveal);
  setTimeout(reveal, 3000);
  if (options.color && window.CSS && CSS.supports("color", options.color)) {
    host.style.setProperty("--cb-accent", options.color);
  }

  var badge = el("span", { "class": "cb-badge", "aria-hidden": "true" });
  badge.hidden = true;
  var bubble = el("button", {
    type: "button",
    "class": "cb-bubble",
    "aria-label": t.bubble,
    "aria-expanded": "false",
    "aria-controls": "cb-panel",
    "aria-haspopup": "dialog"
  }, [chatIcon(), el("span", { "class": "cb-bubble-label", text: t.bubble }), badge]);

  var title = el("h2", { id: "cb-title", "class": "cb-title", text: options.title || t.title });
  var status = el("p", { "class": "cb-status", role: "status", text: "" });
  var closeButton = el("button", { type: "button", "class": "cb-close", "aria-label": t.close }, [
    el("span", { "aria-hidden": "true", text: "×" })
  ]);
  var log = el("div", { "class": "cb-log", role: "log", "aria-live": "polite", "aria-label": t.log, tabindex: "0" });
  var typing = el("div", { "class": "cb-typing" }, [
    el("span", { "class": "cb-dots", "aria-hidden": "true" }, [el("i"), el("i"), el("i")]),
    el("span", { text: t.typing })
  ]);
  typing.hidden = true;
  var input = el("textarea", {
    id: "cb-input",
    "class": "cb-input",
    rows: "2",
    maxlength: "8000",
    placeholder: t.placeholder,
    "aria-describedby": "cb-hint"
  });
  var sendButton = el("button", { type: "submit", "class": "cb-send", text: t.send });
  var errorLine = el("p", { "class": "cb-error", role: "alert" });
  errorLine.hidden = true;
  var form = el("form", { "class": "cb-form", novalidate: "" }, [
    el("label", { "for": "cb-input", "class": "cb-label", text: t.label }),
    el("div", { "class": "cb-row" }, [input, sendButton]),
    el("p", { id: "cb-hint", "class": "cb-hint", text: t.hint }),
    errorLine
  ]);
  var panel = el("section", {
    id: "cb-panel",
    "class": "cb-panel",
    role: "dialog",
    "aria-modal": "false",
    "aria-labelledby": "cb-title",
    lang: lang === "zh" ? "zh-CN" : "en"
  }, [
    el("header", { "class": "cb-header" }, [el("div", {}, [title, status]), closeButton]),
    log,
    typing,
    form
  ]);
  panel.hidden = true;
  var root = el("div", {
    "class": "cb-root " + (options.position === "left" ? "cb-left" : "cb-right"),
    lang: lang === "zh" ? "zh-CN" : "en"
  }, [panel, bubble]);
  shadow.appendChild(stylesheet);
  shadow.appendChild(root);

  // --- rendering messages ---
  var unread = 0;

  function updateBubble() {
    badge.hidden = unread === 0;
    badge.textContent = unread > 99 ? "99+" : String(unread);
    bubble.setAttribute("aria-label", unread ? t.bubble + " (" + t.unread(unread) + ")" : t.bubble);
  }

  function isOpen() { return !panel.hidden; }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function disableChoices() {
    var stale = log.querySelectorAll(".cb-buttons button:not([disabled])");
    for (var i = 0; i < stale.length; i++) stale[i].disabled = true;
  }

  function senderName(message) {
    if (message.from === "agent") return message.name || t.agent;
    if (message.from === "customer") return t.you;
    return message.from === "bot" ? t.bot : t.system;
  }

  function renderMessage(message) {
    var kind = ["customer", "bot", "agent", "system"].indexOf(message.from) >= 0 ? message.from : "system";
    var name = el("span", { "class": "cb-name" + (kind === "customer" ? " cb-visually-hidden" : ""), text: senderName(message) });
    var body = el("p", { "class": "cb-text" });
    body.textContent = String(message.text || "");
    var item = el("div", { "class": "cb-msg cb-from-" + kind }, [name, body]);
    if (message.at) item.title = new Date(message.at).toLocaleString(lang === "zh" ? "zh-CN" : "en");
    var buttons = Array.isArray(message.buttons) ? message.buttons : [];
    if (buttons.length) {
      var group = el("div", { "class": "cb-buttons", role: "group", "aria-label": t.choices });
      buttons.forEach(function (choice) {
        var button = el("button", { type: "button", "class": "cb-choice" });
        button.textContent = String(choice.title || choice.payload);
        button.addEventListener("click", function () { choose(choice, button); });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    if (kind === "customer") disableChoices(); // the options before it are answered
    log.appendChild(item);
    return item;
  }

  function renderIntro() {
    log.appendChild(el("p", { "class": "cb-intro", text: options.welcome || t.welcome }));
  }

  // --- the connection ---
  var session = storedSession();
  var socket = null;
  var connected = false;
  var attempt = 0;
  var reconnectTimer = null;
  var lastHeard = 0;
  var typingTimer = null;
  var sequence = 0;
  var outbox = []; // customer frames not yet acknowledged: {frame, node, sent}

  function setStatus(text) { status.textContent = text; }

  function socketUrl() {
    var url = new URL("webchat/ws", base);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.href; // the session goes in the first frame, never in the URL (logs keep URLs)
  }

  function connect() {
    if (socket) return;
    if (!session) session = newSession();
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    setStatus(t.connecting);
    var ws = new WebSocket(socketUrl());
    socket = ws;
    ws.addEventListener("open", function () {
      if (socket === ws) ws.send(JSON.stringify({ type: "hello", session: session }));
    });
    ws.addEventListener("message", function (event) {
      if (socket !== ws) return;
      lastHeard = Date.now();
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame && typeof frame === "object") onFrame(frame);
    });
    ws.addEventListener("close", function () {
      if (socket !== ws) return;
      socket = null;
      connected = false;
      showTyping(false);
      setStatus(t.offline);
      markWaiting();
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (reconnectTimer) return;
    // 1, 2, 4 … 30 s with jitter, so a gateway restart is not met by every browser at once.
    var delay = Math.min(30000, 1000 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
    attempt += 1;
    reconnectTimer = setTimeout(function () { reconnectTimer = null; connect(); }, delay);
  }

  function reconnectNow() {
    if (socket || !session) return;
    attempt = 0;
    connect();
  }

  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") reconnectNow();
  });
  // A connection that went silent (a laptop lid, a dropped Wi-Fi) is replaced.
  setInterval(function () {
    if (!socket || !connected) return;
    if (Date.now() - lastHeard > 60000) socket.close();
    else socket.send(JSON.stringify({ type: "ping" }));
  }, 25000);

  function showTyping(on) {
    typing.hidden = !on;
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(function () { typing.hidden = true; }, 30000);
  }

  function onFrame(frame) {
    if (frame.type === "history") onHistory(frame);
    else if (frame.type === "message") onMessage(frame);
    else if (frame.type === "typing") showTyping(Boolean(frame.on));
    else if (frame.type === "ack") onAck(frame.id);
    else if (frame.type === "error") onError(frame);
  }

  function onHistory(frame) {
    connected = true;
    attempt = 0;
    setStatus(t.online);
    if (frame.max_text) input.maxLength = frame.max_text;
    var messages = Array.isArray(frame.messages) ? frame.messages : [];
    log.setAttribute("aria-busy", "true");
    log.textContent = "";
    renderIntro();
    messages.forEach(renderMessage);
    var fresh = messages.filter(function (m) { return m.new; }).length;
    if (!isOpen() && fresh) { unread += fresh; updateBubble(); }
    // Unacknowledged messages: those the server has stored show up in the history; the rest
    // are sent (again) now.
    var shown = messages.filter(function (m) { return m.from === "customer"; }).slice(-20)
      .map(function (m) { return m.text; });
    var waiting = outbox;
    outbox = [];
    waiting.forEach(function (entry) {
      var text = entry.frame.type === "button" ? entry.frame.title : entry.frame.text;
      var index = entry.sent ? shown.indexOf(text) : -1;
      if (index >= 0) { shown.splice(index, 1); return; }
      entry.node = renderMessage({ from: "customer", text: text });
      entry.node.classList.add("cb-pending");
      transmit(entry);
    });
    log.setAttribute("aria-busy", "false");
    scrollDown();
  }

  function onMessage(message) {
    renderMessage(message);
    if (message.from !== "customer" && !isOpen()) {
      unread += 1;
      updateBubble();
    }
    scrollDown();
  }

  function onAck(id) {
    outbox = outbox.filter(function (entry) {
      if (entry.frame.id !== id) return true;
      entry.node.classList.remove("cb-pending", "cb-waiting");
      return false;
    });
  }

  function onError(frame) {
    if (frame.code === "bad_session") {
      // The stored id was damaged: start afresh (the server closes this socket).
      session = newSession();
      attempt = 0;
      return;
    }
    var message = t.errors[frame.code] || t.errors.other;
    outbox = outbox.filter(function (entry) {
      if (entry.frame.id !== frame.id) return true;
      entry.node.classList.remove("cb-pending", "cb-waiting");
      entry.node.classList.add("cb-failed");
      entry.node.appendChild(el("span", { "class": "cb-note", text: t.notSent }));
      return false;
    });
    showError(message);
  }

  var errorTimer = null;
  function showError(message) {
    errorLine.textContent = message;
    errorLine.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(function () { errorLine.hidden = true; }, 8000);
  }

  function markWaiting() {
    outbox.forEach(function (entry) { entry.node.classList.add("cb-waiting"); });
  }

  function transmit(entry) {
    outbox.push(entry);
    if (socket && connected) {
      socket.send(JSON.stringify(entry.frame));
      entry.sent = true;
    } else {
      entry.node.classList.add("cb-waiting");
      entry.node.title = t.waiting;
      connect();
    }
  }

  function queue(frame, shownText) {
    frame.id = "c" + (++sequence) + "-" + Date.now().toString(36);
    var node = renderMessage({ from: "customer", text: shownText });
    node.classList.add("cb-pending");
    scrollDown();
    transmit({ frame: frame, node: node, sent: false });
  }

  function submit() {
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    errorLine.hidden = true;
    queue({ type: "message", text: text }, text);
  }

  function choose(choice, button) {
    var group = button.parentNode;
    var all = group.querySelectorAll("button");
    for (var i = 0; i < all.length; i++) all[i].disabled = true;
    button.classList.add("cb-chosen");
    button.setAttribute("aria-pressed", "true");
    var titleText = String(choice.title || choice.payload);
    queue({ type: "button", payload: String(choice.payload), title: titleText }, titleText);
    input.focus();
  }

  // --- opening, closing, keys ---
  function open(focus) {
    if (isOpen()) { if (focus !== false) input.focus(); return; }
    panel.hidden = false;
    bubble.setAttribute("aria-expanded", "true");
    root.classList.add("cb-open");
    unread = 0;
    updateBubble();
    remember(OPEN_KEY, "1");
    connect();
    scrollDown();
    if (focus !== false) input.focus();
  }

  function close() {
    if (!isOpen()) return;
    panel.hidden = true;
    bubble.setAttribute("aria-expanded", "false");
    root.classList.remove("cb-open");
    remember(OPEN_KEY, "0");
    bubble.focus();
  }

  bubble.addEventListener("click", function () { if (isOpen()) close(); else open(true); });
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("keydown", function (event) {
    // isComposing: Enter also confirms a Chinese IME candidate, which must not send.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
    input.focus();
  });
  document.addEventListener("click", function (event) {
    var target = event.target && event.target.closest ? event.target.closest("[data-complaintbot-open]") : null;
    if (target) {
      event.preventDefault();
      open(true);
    }
  });

  renderIntro();
  setStatus(t.connecting);

  function mount() {
    document.body.appendChild(host);
    // Reopened after a reload or on the next page of the shop, without taking the focus.
    if (options.open === "true" || recall(OPEN_KEY) === "1") open(false);
    else if (session) connect(); // a returning visitor: replies that came meanwhile show as unread
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  window.ComplaintbotWidget = {
    open: function () { open(true); },
    close: close,
    language: lang
  };
})();
