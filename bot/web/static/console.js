/*
 * complaintbot agent console: sign in, work the queue, talk to the customer, resolve.
 *
 * Plain JavaScript without dependencies or a build step. Every text that comes from a
 * customer, a ticket or the server is set with textContent, never parsed as HTML.
 * Live updates arrive over /console/ws (queue changes, new messages in conversations
 * this agent has); the REST API under /api does the work.
 */
(function () {
  "use strict";

  var HEARTBEAT_MS = 30000;
  var FLASH_SEVERITIES = { urgent: true, major: true };

  // FEP canned replies (fact, empathy, plan) per customer language, from
  // GET /api/console/canned (bot/canned/replies/*.yml, or a supervisor's newer version).
  // Placeholders: {customer}, {agent}, {ticket}, {category}, {due}.
  var canned = null;
  var CATEGORY_NAMES = {
    en: { product_quality: "product quality", service_attitude: "service",
          delivery: "delivery", billing: "billing", after_sales: "after-sales",
          safety: "safety", privacy: "privacy", other: "your issue" },
    zh: { product_quality: "商品质量", service_attitude: "服务态度", delivery: "物流配送",
          billing: "收费", after_sales: "售后", safety: "安全", privacy: "隐私",
          other: "相关" }
  };
  // Ticket fields shown in the ticket pane (label: "field.<name>"), and the catalogue
  // family of those whose values are codes.
  var FIELDS = ["id", "status", "severity", "category", "emotion_peak", "motive",
    "description", "order_id", "product", "desired_resolution", "contact_phone",
    "contact_email", "channel", "language", "assigned_agent", "first_response_due",
    "resolution_due", "sla_breached", "validity"];
  var CODED_FIELDS = { status: "status", category: "category", emotion_peak: "emotion",
    motive: "motive", desired_resolution: "resolution", channel: "channel",
    language: "language", validity: "validity" };
  var LEADS = { supervisor: true, admin: true }; // they decide remedy requests
  var SEVERITIES = ["general", "major", "urgent"]; // agents raise, only leads lower
  var FINAL_STATUSES = { closed: true, withdrawn: true };
  var APPROVALS_MS = 10000;

  var me = null;
  var socket = null;
  var reconnectDelay = 1000;
  var heartbeatTimer = null;
  var queueSeen = null; // ticket ids shown before: new urgent/major ones flash
  var queueRows = [];
  var queueAt = Date.now();
  var current = null; // {ticketId, conversationId, ticket}
  var shownIds = {};
  var unread = {};
  var mine = [];
  var remedyPolicy = null; // types, currencies and the signed-in person's own authority
  var approvalsTimer = null;
  var ALERTS_MS = 20000;
  var alertsTimer = null;

  function $(id) { return document.getElementById(id); }
  var t = window.I18n.t, label = window.I18n.label;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function api(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (response) {
      if (response.status === 204) return null;
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 401 && path !== "/api/console/login") signedOut();
        if (!response.ok) {
          var message = typeof data.detail === "string" ? data.detail
            : t("error.request_failed", { status: response.status });
          if (Array.isArray(data.errors) && data.errors.length) {
            message += ": " + data.errors.map(function (e) {
              return e.field + ": " + e.problem;
            }).join("; ");
          }
          var error = new Error(message);
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    if (h) return t("duration.hm", { h: h, m: (m < 10 ? "0" : "") + m });
    if (m) return t("duration.ms", { m: m, s: (s < 10 ? "0" : "") + s });
    return t("duration.s", { s: s });
  }

  // In the SLA policy's zone, named, with how long ago or until: "12月5日 09:27（北京时间） · 3小时后".
  function localTime(iso) { return window.I18n.when(iso); }

  // --- sign-in ---------------------------------------------------------------------------

  function showDesk(agent) {
    me = agent;
    $("login").hidden = true;
    $("desk").hidden = false;
    $("who").hidden = false;
    if (agent.locale && agent.locale !== window.I18n.locale()) window.I18n.use(agent.locale);
    showName();
    $("dashboard-link").hidden = !LEADS[agent.role];
    connect();
    loadMine();
    loadTeams();
    loadPractice();
    loadCanned();
    loadRemedyPolicy();
    loadAlerts();
    alertsTimer = setInterval(loadAlerts, ALERTS_MS);
    $("approvals-box").hidden = !LEADS[agent.role];
    if (LEADS[agent.role]) {
      loadApprovals();
      approvalsTimer = setInterval(loadApprovals, APPROVALS_MS);
    }
    // The dashboard's drill-down links here as /console#ticket=ID.
    var linked = /^#ticket=([A-Za-z0-9-]{1,40})$/.exec(location.hash);
    if (linked) openTicket(linked[1], null);
  }

  function showName() {
    $("agent-name").textContent = t("who.name_role",
      { name: me.display_name, role: label("role", me.role) });
  }

  function signedOut() {
    me = null;
    if (socket) { socket.onclose = null; socket.close(); socket = null; }
    clearInterval(heartbeatTimer);
    clearInterval(approvalsTimer);
    clearInterval(alertsTimer);
    $("approvals-box").hidden = true;
    $("alerts-box").hidden = true;
    $("canned-edit").hidden = true;
    $("desk").hidden = true;
    $("who").hidden = true;
    $("login").hidden = false;
  }

  $("login").addEventListener("submit", function (event) {
    event.preventDefault();
    $("login-error").textContent = "";
    api("POST", "/api/console/login", {
      username: $("login-username").value.trim(),
      password: $("login-password").value
    }).then(function (agent) {
      $("login-password").value = "";
      showDesk(agent);
    }, function (error) {
      $("login-error").textContent = error.status === 401 ? t("login.wrong")
        : error.status === 429 ? t("login.throttled") : error.message;
    });
  });

  $("logout").addEventListener("click", function () {
    api("POST", "/api/console/presence", { status: "away" }).catch(function () {})
      .then(function () { return api("POST", "/api/console/logout"); })
      .then(signedOut, signedOut);
  });

  // --- presence ----------------------------------------------------------------------------

  var presenceSaved = "away";  // what the gateway last accepted
  $("presence").addEventListener("change", function () {
    var status = $("presence").value;
    api("POST", "/api/console/presence", { status: status }).then(function () {
      presenceSaved = status;
      clearInterval(heartbeatTimer);
      if (status === "on_duty") {
        heartbeatTimer = setInterval(function () {
          api("POST", "/api/console/heartbeat").then(function (answer) {
            if (!answer.on_duty && $("presence").value === "on_duty") {
              return api("POST", "/api/console/presence", { status: "on_duty" });
            }
          }).catch(function () {});  // the next beat tries again
        }, HEARTBEAT_MS);
      }
    }, function (error) {  // not saved: the picker shows what the gateway still has
      $("presence").value = presenceSaved;
      showChatError(error);
    });
  });

  // --- live updates ------------------------------------------------------------------------

  var liveKey = "live.offline";
  function showLive(key) {
    liveKey = key;
    $("live").textContent = t(key);
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/console/ws");
    showLive("live.connecting");
    socket.onopen = function () { reconnectDelay = 1000; showLive("live.live"); };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "queue") renderQueue(frame);
      else if (frame.type === "messages") onMessages(frame.messages || []);
      else if (frame.type === "signed_out") signedOut();
      else if (frame.type === "flash") onFlash(frame);
    };
    socket.onclose = function () {
      showLive("live.reconnecting");
      if (!me) return;
      setTimeout(function () { if (me) connect(); }, reconnectDelay);
      reconnectDelay = Math.min(reconnectDelay * 2, 30000);
    };
  }

  // --- the queue ---------------------------------------------------------------------------

  function badge(severity) {
    return el("span", "badge " + severity, label("severity", severity));
  }

  function renderQueue(frame) {
    queueRows = mineFirst(frame.items || []);
    queueAt = Date.now();
    var list = $("queue");
    list.textContent = "";
    var seen = {};
    queueRows.forEach(function (row) {
      seen[row.ticket_id] = true;
      var ticket = row.ticket || {};
      var item = el("li");
      item.dataset.ticket = row.ticket_id;
      if (queueSeen && !queueSeen[row.ticket_id] && FLASH_SEVERITIES[row.severity]) {
        item.classList.add("flash");
      }
      var head = el("div", "row-head");
      head.appendChild(el("span", "position", "#" + row.position));
      head.appendChild(badge(row.severity));
      head.appendChild(el("strong", null, row.ticket_id));
      if (row.team) head.appendChild(el("span", "team-tag", teamTitle(row.team)));
      var wait = el("span", "waiting");
      wait.dataset.base = row.waiting_seconds;
      wait.textContent = duration(row.waiting_seconds);
      head.appendChild(wait);
      item.appendChild(head);
      item.appendChild(el("p", "summary",
        label("category", ticket.category) + " · " + (ticket.description || "")));
      var claim = el("button", null, t("queue.claim"));
      claim.type = "button";
      claim.setAttribute("aria-label", t("queue.claim_aria", { id: row.ticket_id }));
      claim.addEventListener("click", function () {
        api("POST", "/api/queue/" + encodeURIComponent(row.ticket_id) + "/claim")
          .then(opened, showChatError);
      });
      item.appendChild(claim);
      list.appendChild(item);
    });
    queueSeen = seen;
    $("queue-count").textContent = "(" + queueRows.length + ")";
  }

  setInterval(function () {
    var elapsed = (Date.now() - queueAt) / 1000;
    var waits = document.querySelectorAll("#queue .waiting");
    for (var i = 0; i < waits.length; i++) {
      waits[i].textContent = duration(Number(waits[i].dataset.base) + elapsed);
    }
    // Deadlines' "in 2 hr." and the transcript's "3 分钟前" move on with the clock.
    var dated = document.querySelectorAll("#ticket-fields [data-at], #transcript [data-at]");
    for (var k = 0; k < dated.length; k++) dated[k].textContent = localTime(dated[k].dataset.at);
  }, 1000);

  // A time that the clock above keeps relative ("3 分钟前" becomes "4 分钟前").
  function timeSpan(iso) {
    var span = el("span", "when", localTime(iso));
    if (iso) span.dataset.at = iso;
    return span;
  }

  $("claim-next").addEventListener("click", function () {
    api("POST", "/api/queue/claim").then(opened, showChatError);
  });

  function opened(claimed) {
    loadMine();
    if (claimed.conversation_id) openTicket(claimed.ticket.id, claimed.conversation_id);
  }

  // --- my tickets --------------------------------------------------------------------------

  function loadMine() {
    api("GET", "/api/console/tickets").then(function (tickets) {
      mine = tickets;
      renderMine();
    }).catch(function () {});
  }

  function renderMine() {
    var list = $("mine");
    list.textContent = "";
    mine.forEach(function (ticket) {
      var item = el("li");
      if (current && current.ticketId === ticket.id) item.classList.add("active");
      var head = el("div", "row-head");
      head.appendChild(badge(ticket.severity));
      var open = el("button", null, ticket.id);
      open.type = "button";
      open.setAttribute("aria-label", t("common.open_aria", { id: ticket.id }));
      open.addEventListener("click", function () {
        openTicket(ticket.id, ticket.conversation_id);
      });
      head.appendChild(open);
      if (unread[ticket.conversation_id]) {
        head.appendChild(el("span", "unread",
          t("mine.unread", { n: unread[ticket.conversation_id] })));
      }
      item.appendChild(head);
      item.appendChild(el("p", "summary",
        label("status", ticket.status) + " · " + ticket.description));
      list.appendChild(item);
    });
  }

  // --- the conversation --------------------------------------------------------------------

  function showChatError(error) { $("chat-error").textContent = error.message; }

  function openTicket(ticketId, conversationId) {
    current = { ticketId: ticketId, conversationId: conversationId, ticket: null,
      messages: [] };
    shownIds = {};
    delete unread[conversationId];
    $("chat-error").textContent = "";
    $("transcript").textContent = "";
    $("chat-empty").hidden = true;
    $("send").hidden = !conversationId;
    $("ticket-pane").hidden = false;
    $("ticket-status").textContent = "";
    renderMine();
    loadTicket();
    loadContext();
    if (!conversationId) return;
    api("GET", "/api/conversations/" + conversationId + "/messages").then(function (page) {
      if (!current || current.conversationId !== conversationId) return;
      page.messages.forEach(appendMessage);
    }, showChatError);
  }

  function loadTicket() {
    var ticketId = current.ticketId;
    api("GET", "/api/console/tickets/" + encodeURIComponent(ticketId)).then(function (ticket) {
      if (!current || current.ticketId !== ticketId) return;
      current.ticket = ticket;
      var fields = $("ticket-fields");
      fields.textContent = "";
      FIELDS.forEach(function (name) {
        var value = ticket[name];
        if (value === null || value === undefined || value === "") return;
        fields.appendChild(el("dt", null, t("field." + name)));
        var dd = el("dd");
        dd.dataset.field = name;
        if (name === "severity") {
          dd.appendChild(badge(value));
        } else if (/_due$/.test(name)) {
          dd.textContent = localTime(value);
          dd.dataset.at = value;
        } else if (value === true || value === false) {
          dd.textContent = t(value ? "common.yes" : "common.no");
        } else {
          dd.textContent = CODED_FIELDS[name] ? label(CODED_FIELDS[name], value) : String(value);
        }
        fields.appendChild(dd);
      });
      showSeverity(ticket);
      $("canned-lang").value = ticket.language === "zh" ? "zh" : "en";
      fillReplies($("canned"), $("canned-lang").value);
      $("validity").value = ticket.validity || "";
      showRemedyState(ticket);
      showTeam();
    }, showChatError);
  }

  // --- the customer beside the chat: emotion over time, earlier complaints ------------------

  function loadContext() {
    var ticketId = current.ticketId;
    $("emotion-strip").textContent = "";
    $("emotion-note").textContent = "";
    $("earlier").textContent = "";
    $("earlier-count").textContent = "";
    api("GET", "/api/console/tickets/" + encodeURIComponent(ticketId) + "/context")
      .then(function (context) {
        if (!current || current.ticketId !== ticketId) return;
        renderEmotion(context);
        renderEarlier(context);
      }, function (error) { $("emotion-note").textContent = error.message; });
  }

  function renderEmotion(context) {
    var strip = $("emotion-strip");
    if (context.emotion === null) {
      // The only reason the server gives (customer_context.RASA_DOWN_NOTE): Rasa is down.
      $("emotion-note").textContent = t(context.emotion_note ? "emotion.rasa_down"
        : "emotion.unavailable");
      return;
    }
    if (!context.emotion.length) {
      $("emotion-note").textContent = t("emotion.none");
      return;
    }
    context.emotion.forEach(function (point, index) {
      var level = label("emotion", point.level);
      var item = el("li", point.level, level);
      var said = localTime(point.at) + " · " + level + " (" +
        Math.round(point.score * 100) + "%) · " + point.excerpt;
      item.title = said;
      item.setAttribute("aria-label", t("emotion.point_aria", { n: index + 1, said: said }));
      strip.appendChild(item);
    });
    var last = context.emotion[context.emotion.length - 1];
    $("emotion-note").textContent = t("emotion.summary",
      { n: context.emotion.length, level: label("emotion", last.level) });
  }

  function renderEarlier(context) {
    var list = $("earlier");
    $("earlier-count").textContent = "(" + context.earlier_total + ")";
    if (!context.earlier_complaints.length) {
      list.appendChild(el("li", "muted", t("earlier.none")));
      return;
    }
    context.earlier_complaints.forEach(function (earlier) {
      var item = el("li");
      item.dataset.ticket = earlier.id;
      item.appendChild(badge(earlier.severity));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(el("strong", null, earlier.id));
      item.appendChild(el("div", "summary", [
        localTime(earlier.created_at), label("category", earlier.category),
        label("status", earlier.status),
        earlier.csat === null ? t("earlier.not_rated") : t("earlier.csat", { score: earlier.csat })
      ].join(" · ")));
      list.appendChild(item);
    });
    if (context.earlier_total > context.earlier_complaints.length) {
      list.appendChild(el("li", "muted", t("earlier.older",
        { n: context.earlier_total - context.earlier_complaints.length })));
    }
  }

  // A message as the customer saw it: a button press shows the title of the button they
  // pressed (marked as a button), the bot's messages the buttons it offered.
  function appendMessage(message) {
    if (shownIds[message.id]) return;
    shownIds[message.id] = true;
    if (current) current.messages.push(message);
    var who = { customer: "from.customer", bot: "from.bot", system: "from.system" }[message.from];
    var item = el("li", "from-" + message.from);
    var whoLine = el("div", "who-line", (who ? t(who) : message.name || t("from.agent")) + " · ");
    whoLine.appendChild(timeSpan(message.at));
    item.appendChild(whoLine);
    var pressed = message.button;
    if (pressed) {
      item.classList.add("pressed");
      var line = el("div", "text");
      line.appendChild(el("span", "pressed-mark", t("chat.pressed")));
      line.appendChild(el("span", "button-title",
        pressed.title || t("chat.unknown_button", { payload: pressed.payload })));
      item.appendChild(line);
    } else {
      item.appendChild(el("div", "text", message.text));
    }
    if (message.buttons && message.buttons.length) {
      var offered = el("ul", "offered");
      offered.setAttribute("aria-label", t("chat.offered"));
      message.buttons.forEach(function (button) {
        offered.appendChild(el("li", "offered-button", button.title || button.payload));
      });
      item.appendChild(offered);
    }
    var transcript = $("transcript");
    transcript.appendChild(item);
    transcript.scrollTop = transcript.scrollHeight;
  }

  function onMessages(messages) {
    var others = false;
    messages.forEach(function (message) {
      if (current && message.conversation_id === current.conversationId) {
        appendMessage(message);
      } else if (message.from === "customer") {
        unread[message.conversation_id] = (unread[message.conversation_id] || 0) + 1;
        others = true;
      }
    });
    if (others) loadMine();
  }

  $("send").addEventListener("submit", function (event) {
    event.preventDefault();
    var box = $("message");
    var text = box.value.trim();
    if (!text || !current) return;
    $("chat-error").textContent = "";
    api("POST", "/api/conversations/" + current.conversationId + "/messages", { text: text })
      .then(function () { box.value = ""; box.focus(); }, showChatError);
  });

  $("message").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("send").requestSubmit();
    }
  });

  // --- canned replies ----------------------------------------------------------------------

  function cannedReplies(lang) {
    return canned && canned.languages[lang] ? canned.languages[lang].replies : [];
  }

  function fillReplies(select, lang) {
    var chosen = select.value;
    select.textContent = "";
    cannedReplies(lang).forEach(function (reply) {
      var option = el("option", null, reply.title);
      option.value = reply.id;
      select.appendChild(option);
    });
    if (chosen) select.value = chosen;
    if (select.selectedIndex < 0 && select.options.length) select.selectedIndex = 0;
  }

  function fillCanned() {
    fillReplies($("canned"), $("canned-lang").value);
    fillCannedEditor();
  }

  function loadCanned() {
    return api("GET", "/api/console/canned").then(function (found) {
      canned = found;
      $("canned-edit").hidden = !found.can_edit;
      // Supervisors edit the replies of their own language first.
      $("canned-edit-lang").value = window.I18n.locale() === "zh-CN" ? "zh" : "en";
      fillCanned();
    }, showChatError);
  }

  $("canned-lang").addEventListener("change", fillCanned);

  $("canned-insert").addEventListener("click", function () {
    var lang = $("canned-lang").value;
    var chosen = cannedReplies(lang).filter(function (r) { return r.id === $("canned").value; })[0];
    if (!chosen) return;
    var ticket = (current && current.ticket) || {};
    var values = {
      agent: me ? me.display_name : "",
      customer: "", // no name is stored for customers yet: the agent adds it if known
      ticket: ticket.id || "",
      category: (CATEGORY_NAMES[lang] || {})[ticket.category] || ticket.category || "",
      // As the bot tells customers deadlines, in the reply's language.
      due: window.I18n.time(ticket.resolution_due, lang === "zh" ? "zh-CN" : "en")
    };
    var text = chosen.text.replace(/\{(\w+)\}/g, function (all, key) {
      return key in values ? values[key] : all;
    }).replace(/ +([,，。.])/g, "$1").replace(/^[,，\s]+/, "").replace(/  +/g, " ");
    var box = $("message");
    box.value = box.value ? box.value.replace(/\s*$/, " ") + text : text;
    box.focus();
  });

  // --- editing canned replies (supervisors and admins): every save is a new, audited version

  function editedLang() { return $("canned-edit-lang").value; }

  function fillCannedEditor() {
    if (!canned) return;
    fillSelect($("canned-edit-part"), canned.parts, "canned_part");
    fillReplies($("canned-edit-pick"), editedLang());
    showEditedReply();
    $("canned-edit-hint").textContent = t("canned.edit_hint", { placeholders:
      canned.placeholders.map(function (name) { return "{" + name + "}"; }).join(" ") });
  }

  function showEditedReply() {
    var id = $("canned-edit-pick").value;
    var reply = cannedReplies(editedLang()).filter(function (r) { return r.id === id; })[0];
    $("canned-edit-part").value = reply ? reply.part : "other";
    $("canned-edit-title").value = reply ? reply.title : "";
    $("canned-edit-text").value = reply ? reply.text : "";
  }

  function saveCanned(replies, done) {
    var lang = editedLang();
    $("canned-edit-status").textContent = "";
    api("PUT", "/api/console/canned/" + lang, { replies: replies }).then(function (saved) {
      canned.languages[lang] = saved;
      fillCanned();
      $("canned-edit-status").textContent = t(done, { version: saved.version });
    }, function (error) { $("canned-edit-status").textContent = error.message; });
  }

  $("canned-edit-lang").addEventListener("change", fillCannedEditor);
  $("canned-edit-pick").addEventListener("change", showEditedReply);

  $("canned-edit-new").addEventListener("click", function () {
    var option = el("option", null, t("canned.new_title"));
    option.value = "reply-" + Date.now().toString(36);
    option.dataset.fresh = "1";
    $("canned-edit-pick").appendChild(option);
    $("canned-edit-pick").value = option.value;
    showEditedReply();
    $("canned-edit-title").focus();
  });

  $("canned-edit-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var id = $("canned-edit-pick").value;
    var edited = { id: id, part: $("canned-edit-part").value,
      title: $("canned-edit-title").value.trim(), text: $("canned-edit-text").value.trim() };
    var replies = cannedReplies(editedLang()).slice();
    var at = replies.map(function (r) { return r.id; }).indexOf(id);
    if (at >= 0) replies[at] = edited; else replies.push(edited);
    saveCanned(replies, "canned.saved");
  });

  $("canned-edit-delete").addEventListener("click", function () {
    var id = $("canned-edit-pick").value;
    saveCanned(cannedReplies(editedLang()).filter(function (r) { return r.id !== id; }),
      "canned.deleted");
  });

  // --- ticket actions ----------------------------------------------------------------------

  function ticketAction(path, body, done) {
    if (!current) return;
    $("ticket-status").textContent = "";
    api("POST", "/api/tickets/" + encodeURIComponent(current.ticketId) + path, body)
      .then(function (ticket) {
        $("ticket-status").textContent = done(ticket);
        loadMine();
        loadTicket();
      }, function (error) { $("ticket-status").textContent = error.message; });
  }

  $("note-form").addEventListener("submit", function (event) {
    event.preventDefault();
    ticketAction("/notes", { text: $("note").value }, function () {
      $("note").value = "";
      return t("note.added");
    });
  });

  $("resolve-form").addEventListener("submit", function (event) {
    event.preventDefault();
    ticketAction("/resolve", { resolution_note: $("resolution").value }, function (ticket) {
      $("resolution").value = "";
      $("send").hidden = true;
      return t("resolve.done", { status: label("status", ticket.status) });
    });
  });

  $("release").addEventListener("click", function () {
    ticketAction("/release", {}, function () {
      $("send").hidden = true;
      return t("release.done");
    });
  });

  $("transfer-form").addEventListener("submit", function (event) {
    event.preventDefault();
    ticketAction("/transfer", { to_agent: $("transfer-to").value.trim() }, function (ticket) {
      $("send").hidden = true;
      return t("transfer.done", { agent: ticket.assigned_agent });
    });
  });

  // --- teams (teams.yml): my team first, the ticket's team, hand-over (流转), flashes ---------

  var teams = { teams: [], mine: [] };
  var teamsLoaded = Promise.resolve(teams);

  function loadTeams() {
    teamsLoaded = api("GET", "/api/teams").then(function (found) {
      teams = found;
      renderQueue({ items: queueRows }); // my team first, with the teams' titles
      return found;
    }, function () { return teams; });
  }

  function teamTitle(name) {
    var team = teams.teams.filter(function (x) { return x.name === name; })[0];
    var titles = (team && team.title) || {};
    return titles[window.I18n.locale()] || titles.en || name;
  }

  // The queue in serving order, my teams' tickets first (as GET /api/queue lists it).
  function mineFirst(rows) {
    var mine = {};
    (teams.mine || []).forEach(function (name) { mine[name] = true; });
    return rows.filter(function (row) { return mine[row.team]; })
      .concat(rows.filter(function (row) { return !mine[row.team]; }));
  }

  function showTeam() {
    var ticketId = current.ticketId;
    teamsLoaded.then(function () {
      if (!teams.teams.length) { $("team-form").hidden = true; return null; }
      return api("GET", "/api/tickets/" + encodeURIComponent(ticketId) + "/team");
    }).then(function (found) {
      if (!found || !current || current.ticketId !== ticketId) return;
      $("ticket-team").textContent = found.team ? teamTitle(found.team) : t("team.none");
      var select = $("team-to");
      select.textContent = "";
      teams.teams.forEach(function (team) {
        if (team.name === found.team) return;
        var option = el("option", null, teamTitle(team.name));
        option.value = team.name;
        select.appendChild(option);
      });
      $("team-form").hidden = false;
    }, function () { $("team-form").hidden = true; });
  }

  $("team-form").addEventListener("submit", function (event) {
    event.preventDefault();
    ticketAction("/team", { team: $("team-to").value, reason: $("team-reason").value.trim() },
      function (found) {
        $("team-reason").value = "";
        return t("team.done", { team: teamTitle(found.team) });
      });
  });

  function onFlash(frame) {
    if (frame.kind !== "team_handover") return;
    var box = $("team-flash");
    box.textContent = t("team.flash",
      { id: frame.ticket_id, team: teamTitle(frame.team), reason: frame.reason || "" });
    box.hidden = false;
  }

  $("team-flash").addEventListener("click", function () { $("team-flash").hidden = true; });

  // --- practice (模拟投诉): a simulated customer in the chat pane, then the score -----------

  var practice = null; // the practice session on screen
  var practicePersonas = [];
  var PRACTICE_ITEMS = {
    fact: "practice.item_fact", feeling: "practice.item_feeling", plan: "practice.item_plan",
    no_blame: "practice.item_no_blame", remedy: "practice.item_remedy",
    speed: "practice.item_speed"
  };

  function loadPractice() {
    api("GET", "/api/practice/personas").then(function (found) {
      practicePersonas = found;
      fillPersonas();
    }, function () {});
    if (LEADS[me.role]) loadPracticeHistory();
  }

  // The simulated customers who speak the console's language.
  function fillPersonas() {
    var lang = window.I18n.locale() === "zh-CN" ? "zh" : "en";
    var select = $("practice-persona");
    select.textContent = "";
    practicePersonas.forEach(function (persona) {
      if (persona.lang !== lang) return;
      var option = el("option", null, (persona.name || persona.id) + " · " +
        label("category", persona.category));
      option.value = persona.id;
      select.appendChild(option);
    });
  }

  function loadPracticeHistory() {
    api("GET", "/api/practice/history").then(function (found) {
      var list = $("practice-history");
      list.textContent = "";
      found.items.forEach(function (row) {
        list.appendChild(el("li", null, t("practice.history_row", {
          agent: row.agent, persona: row.persona.name || row.persona.id,
          points: row.score ? row.score.points : "—", out_of: row.score ? row.score.out_of : "—"
        })));
      });
      $("practice-history-box").hidden = false;
    }, function () {});
  }

  function showPractice(session) {
    practice = session;
    $("transcript").textContent = "";
    session.turns.forEach(function (turn) {
      var item = el("li", turn.from === "customer" ? "from-customer" : "from-agent");
      item.appendChild(el("div", "who-line", turn.from === "customer"
        ? t("practice.customer", { name: session.persona.name || "" }) : t("practice.you")));
      item.appendChild(el("div", "text", turn.text));
      $("transcript").appendChild(item);
    });
    $("practice-emotion").textContent = t("practice.emotion",
      { emotion: label("emotion", session.emotion) });
    var over = !!session.finished_at;
    $("send").hidden = over;
    $("practice-end").hidden = over;
    $("practice-score").hidden = !over;
    if (over) {
      $("practice-points").textContent = t("practice.points",
        { points: session.score.points, out_of: session.score.out_of,
          wish: label("resolution", session.score.satisfied_by) });
      var reasons = $("practice-reasons");
      reasons.textContent = "";
      session.score.items.forEach(function (item) {
        var line = el("li", item.passed ? "passed" : "failed",
          (item.passed ? "✓ " : "✗ ") + t(PRACTICE_ITEMS[item.name]) + ": " + item.reason);
        line.dataset.item = item.name;
        reasons.appendChild(line);
      });
      if (LEADS[me.role]) loadPracticeHistory();
    }
  }

  $("practice-start").addEventListener("click", function () {
    api("POST", "/api/practice/sessions", { persona_id: $("practice-persona").value })
      .then(function (session) {
        current = null;
        $("ticket-pane").hidden = true;
        $("chat-empty").hidden = true;
        $("chat-error").textContent = "";
        showPractice(session);
      }, showChatError);
  });

  $("practice-end").addEventListener("click", function () {
    if (!practice) return;
    api("POST", "/api/practice/sessions/" + practice.id + "/finish").then(showPractice,
      showChatError);
  });

  // The chat pane's send form answers the simulated customer while no ticket is open.
  $("send").addEventListener("submit", function (event) {
    if (!practice || current || practice.finished_at) return;
    event.preventDefault();
    var box = $("message");
    var text = box.value.trim();
    if (!text) return;
    api("POST", "/api/practice/sessions/" + practice.id + "/replies", { text: text })
      .then(function (session) { box.value = ""; showPractice(session); }, showChatError);
  });

  // --- severity: agents raise it, supervisors and admins also lower it ---------------------

  function showSeverity(ticket) {
    var select = $("severity");
    select.value = ticket.severity;
    var floor = LEADS[me.role] ? 0 : SEVERITIES.indexOf(ticket.severity);
    for (var i = 0; i < select.options.length; i++) {
      select.options[i].disabled = SEVERITIES.indexOf(select.options[i].value) < floor;
    }
    $("severity-form").hidden = !!FINAL_STATUSES[ticket.status];
  }

  $("severity-form").addEventListener("submit", function (event) {
    event.preventDefault();
    ticketAction("/severity", {
      severity: $("severity").value,
      reason: $("severity-reason").value.trim()
    }, function (ticket) {
      $("severity-reason").value = "";
      return t("severity.done", { severity: label("severity", ticket.severity),
        due: localTime(ticket.first_response_due) });
    });
  });

  // --- remedies (员工处理投诉的权力) and validity ---------------------------------------------

  function money(amount, currency) {
    return Number(amount).toFixed(2) + " " + currency;
  }

  function describeRemedy(remedy) {
    var type = label("remedy_type", remedy.type);
    if (remedy.amount === null || remedy.amount === undefined) return type;
    return type + " " + money(remedy.amount, remedy.currency);
  }

  // Options with codes as values; `family` names their catalogue labels (none: the code).
  function fillSelect(select, values, family) {
    var chosen = select.value;
    select.textContent = "";
    values.forEach(function (value) {
      var option = el("option", null, family ? label(family, value) : value);
      option.value = value;
      select.appendChild(option);
    });
    if (chosen && values.indexOf(chosen) >= 0) select.value = chosen;
  }

  function loadRemedyPolicy() {
    api("GET", "/api/remedy-policy").then(function (policy) {
      remedyPolicy = policy;
      fillSelect($("remedy-type"), policy.types.map(function (rule) { return rule.type; }),
        "remedy_type");
      fillSelect($("remedy-currency"), policy.currencies);
      remedyTypeChanged();
    }).catch(function () {});
  }

  function typeRule(name) {
    var types = remedyPolicy ? remedyPolicy.types : [];
    return types.filter(function (t) { return t.type === name; })[0];
  }

  function remedyTypeChanged() {
    var rule = typeRule($("remedy-type").value);
    if (!rule) return;
    $("remedy-money").hidden = rule.amount === "none";
    $("remedy-amount").required = rule.amount === "required";
    var yours = rule.your_rule;
    var text;
    if (yours === "unlimited") {
      text = t("remedy.limit_unlimited");
    } else if (yours === "approval") {
      text = t("remedy.limit_approval");
    } else {
      text = t("remedy.limit_up_to", { amounts: Object.keys(yours).map(function (code) {
        return money(yours[code], code);
      }).join(" / ") });
    }
    $("remedy-limit").textContent = text;
  }

  $("remedy-type").addEventListener("change", remedyTypeChanged);

  function showRemedyState(ticket) {
    var state = $("remedy-state");
    var form = $("remedy-form");
    state.className = "remedy-state";
    form.hidden = true;
    if (ticket.remedy) {
      var granted = ticket.remedy;
      state.classList.add("granted");
      state.textContent = granted.approved_by
        ? t("remedy.granted_approved", { remedy: describeRemedy(granted),
          by: granted.granted_by, approver: granted.approved_by })
        : t("remedy.granted_by", { remedy: describeRemedy(granted), by: granted.granted_by });
      return;
    }
    state.textContent = "";
    var ticketId = ticket.id;
    api("GET", "/api/remedy-requests?status=pending&ticket_id=" + encodeURIComponent(ticketId))
      .then(function (page) {
        if (!current || current.ticketId !== ticketId) return;
        var waiting = page.items[0];
        if (waiting) {
          state.classList.add("pending");
          state.textContent = t("remedy.pending", { remedy: describeRemedy(waiting),
            id: waiting.id, by: waiting.requested_by });
          return;
        }
        state.textContent = t("remedy.none");
        form.hidden = !!FINAL_STATUSES[ticket.status];
      }, function (error) { state.textContent = error.message; });
  }

  $("remedy-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!current) return;
    var rule = typeRule($("remedy-type").value) || {};
    var body = { type: $("remedy-type").value };
    var amount = $("remedy-amount").value.trim();
    if (rule.amount !== "none" && amount) {
      body.amount = amount;
      body.currency = $("remedy-currency").value;
    }
    var note = $("remedy-note").value.trim();
    if (note) body.note = note;
    var button = $("remedy-form").querySelector("button");
    button.disabled = true; // one request per click
    $("ticket-status").textContent = "";
    api("POST", "/api/tickets/" + encodeURIComponent(current.ticketId) + "/remedy", body)
      .then(function (answer) {
        $("remedy-amount").value = "";
        $("remedy-note").value = "";
        $("ticket-status").textContent = answer.outcome === "granted"
          ? t("remedy.granted", { remedy: describeRemedy(answer.ticket.remedy) })
          : t("remedy.sent", { remedy: describeRemedy(answer.request), why: answer.why });
        loadTicket();
        loadApprovals();
      }, function (error) { $("ticket-status").textContent = error.message; })
      .then(function () { button.disabled = false; });
  });

  $("validity-form").addEventListener("submit", function (event) {
    event.preventDefault();
    ticketAction("/validity", {
      validity: $("validity").value,
      reason: $("validity-reason").value.trim()
    }, function (ticket) {
      $("validity-reason").value = "";
      return t("validity.marked", { validity: label("validity", ticket.validity) });
    });
  });

  // --- approvals (supervisors and admins) ----------------------------------------------------

  function loadApprovals() {
    if (!me || !LEADS[me.role]) return;
    api("GET", "/api/remedy-requests?status=pending").then(renderApprovals, function (error) {
      $("approvals-error").textContent = error.message;
    });
  }

  function renderApprovals(page) {
    var list = $("approvals");
    list.textContent = "";
    page.items.forEach(function (request) {
      var item = el("li");
      item.dataset.request = request.id;
      var head = el("div", "row-head");
      var open = el("button", "secondary", request.ticket_id);
      open.type = "button";
      open.setAttribute("aria-label", t("common.open_aria", { id: request.ticket_id }));
      open.addEventListener("click", function () { openTicket(request.ticket_id, null); });
      head.appendChild(open);
      head.appendChild(el("strong", "asked", describeRemedy(request)));
      item.appendChild(head);
      item.appendChild(el("p", "summary", t("approvals.asked_by", { who: request.requested_by }) +
        " · " + localTime(request.requested_at) + (request.note ? " · " + request.note : "")));
      item.appendChild(el("p", "muted", request.cannot_decide_why || request.why));
      var decide = el("div", "decide");
      var approve = el("button", null, t("approvals.approve"));
      approve.type = "button";
      approve.disabled = !request.can_decide;
      approve.setAttribute("aria-label", t("approvals.approve_aria", { id: request.id }));
      approve.addEventListener("click", function () {
        decideRequest(request, "approve", undefined, item);
      });
      var reason = el("input");
      reason.maxLength = 4000;
      reason.placeholder = t("approvals.reason_placeholder");
      reason.setAttribute("aria-label", t("approvals.reason_aria", { id: request.id }));
      var decline = el("button", "secondary", t("approvals.decline"));
      decline.type = "button";
      decline.setAttribute("aria-label", t("approvals.decline_aria", { id: request.id }));
      decline.addEventListener("click", function () {
        var text = reason.value.trim();
        if (!text) {
          $("approvals-error").textContent = t("approvals.say_why", { id: request.id });
          reason.focus();
          return;
        }
        decideRequest(request, "decline", { reason: text }, item);
      });
      decide.appendChild(approve);
      decide.appendChild(reason);
      decide.appendChild(decline);
      item.appendChild(decide);
      list.appendChild(item);
    });
    $("approvals-count").textContent = "(" + page.items.length + ")";
  }

  function decideRequest(request, verb, body, item) {
    var buttons = item.querySelectorAll("button");
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
    $("approvals-error").textContent = "";
    api("POST", "/api/remedy-requests/" + request.id + "/" + verb, body).then(function (answer) {
      $("approvals-status").textContent = t(verb === "approve" ? "approvals.approved"
        : "approvals.declined", { remedy: describeRemedy(answer.request), id: answer.ticket.id });
      if (current && current.ticketId === answer.ticket.id) loadTicket();
      loadApprovals();
    }, function (error) {
      $("approvals-error").textContent = error.message;
      loadApprovals();
    });
  }

  // --- SLA alerts: warnings and breaches nobody has acknowledged yet -------------------------

  function loadAlerts() {
    if (!me) return;
    api("GET", "/api/alerts?unacknowledged=true&limit=50").then(renderAlerts, function (error) {
      $("alerts-error").textContent = error.message;
    });
  }

  function alertText(alert) {
    if (!alert.ticket_id) {  // an early warning: a spike or a cluster, no ticket
      var d = alert.detail || {};
      return t("alerts.early_text", { subject: alert.subject, count: d.count,
        expected: d.expected });
    }
    var deadline = label("deadline", alert.deadline);
    var what = t(alert.kind === "breach" ? "alerts.missed" : "alerts.due",
      { deadline: deadline, due: localTime(alert.due) });
    return what + " · " + label("severity", alert.severity) + " · " +
      label("category", alert.category);
  }

  function renderAlerts(page) {
    var list = $("alerts");
    list.textContent = "";
    $("alerts-error").textContent = "";
    page.items.forEach(function (alert) {
      var item = el("li", alert.kind);
      var breach = alert.kind === "breach";
      var early = !alert.ticket_id;
      item.appendChild(el("span", "badge " + (breach || early ? "urgent" : "major"),
        t("alert_badge." + (early ? (alert.kind === "spike" ? "spike" : "cluster")
          : breach ? "breach" : "warning"))));
      if (early) {
        var link = el("a", "secondary", t("console.dashboard_link"));
        link.href = alert.link;
        item.appendChild(link);
        item.appendChild(el("span", "alert-text", alertText(alert)));
        item.appendChild(ackButton(alert, alert.subject));
        list.appendChild(item);
        return;
      }
      var open = el("button", "secondary", alert.ticket_id);
      open.type = "button";
      open.setAttribute("aria-label", t("common.open_aria", { id: alert.ticket_id }));
      open.addEventListener("click", function () {
        var yours = mine.filter(function (t) { return t.id === alert.ticket_id; })[0];
        openTicket(alert.ticket_id, yours ? yours.conversation_id : null);
      });
      item.appendChild(open);
      item.appendChild(el("span", "alert-text", alertText(alert)));
      item.appendChild(ackButton(alert, alert.ticket_id));
      list.appendChild(item);
    });
    $("alerts-count").textContent = "(" + page.total + ")";
    $("alerts-box").hidden = page.items.length === 0;
  }

  function ackButton(alert, about) {
    var ack = el("button", null, t("alerts.ack"));
    ack.type = "button";
    ack.setAttribute("aria-label", t("alerts.ack_aria",
      { kind: label("alert_kind", alert.kind), about: about }));
    ack.addEventListener("click", function () {
      ack.disabled = true;
      api("POST", "/api/alerts/" + alert.id + "/ack").then(loadAlerts, function (error) {
        $("alerts-error").textContent = error.message;
        ack.disabled = false;
      });
    });
    return ack;
  }

  // --- the language switch: everything shown is drawn again in the new language ----------

  function relabel() {
    fillCanned();
    $("live").textContent = t(liveKey);
    if (!me) return;
    showName();
    renderQueue({ items: queueRows });
    renderMine();
    fillPersonas();
    if (remedyPolicy) {
      fillSelect($("remedy-type"), remedyPolicy.types.map(function (rule) { return rule.type; }),
        "remedy_type");
      remedyTypeChanged();
    }
    if (current) {
      var shown = current.messages;
      current.messages = [];
      shownIds = {};
      $("transcript").textContent = "";
      shown.forEach(appendMessage);
      loadTicket();
      loadContext();
    }
    loadAlerts();
    loadApprovals();
  }

  window.I18n.onChange(relabel);

  // Catalogues first; then already signed in (the session cookie survives a reload)?
  window.I18n.load().then(function () {
    window.I18n.bindSwitch(function (locale) { if (me) window.I18n.save(locale); });
    $("live").textContent = t(liveKey);
    api("GET", "/api/console/me").then(showDesk, function () {});
  });
})();
