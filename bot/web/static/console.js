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

  // FEP canned replies (Fact, Empathy, Plan), to insert and edit before sending.
  // {name}: the agent's display name, {ticket}, {category}, {due}: from the open ticket.
  var CANNED = [
    {
      id: "fact",
      title: "Fact: restate the complaint",
      en: "Hello, this is {name} from customer service. I have read your complaint about " +
        "{category} (ticket {ticket}) and I am taking care of it personally.",
      zh: "您好，我是客服专员{name}。您反映的{category}问题（工单 {ticket}）我已经看到了，" +
        "由我来负责跟进。"
    },
    {
      id: "empathy",
      title: "Empathy: acknowledge the feeling",
      en: "I am truly sorry this happened. I understand how frustrating it is, and I will " +
        "stay with it until it is sorted out.",
      zh: "非常抱歉给您带来这样的困扰，我完全理解您的心情，我会一直跟进到问题解决为止。"
    },
    {
      id: "plan",
      title: "Plan: what happens next and by when",
      en: "Here is what I will do next: … You will hear from me by {due} at the latest.",
      zh: "接下来我会……，最晚在 {due} 前给您答复。"
    },
    {
      id: "details",
      title: "Ask for details",
      en: "Could you send me a photo of the item and your order number, please?",
      zh: "麻烦您提供一下商品照片和订单号，好吗？"
    },
    {
      id: "closing",
      title: "Closing",
      en: "Is there anything else I can help you with today?",
      zh: "请问还有其他可以帮您的吗？"
    }
  ];
  var CATEGORY_NAMES = {
    en: { product_quality: "product quality", service_attitude: "service",
          delivery: "delivery", billing: "billing", after_sales: "after-sales",
          safety: "safety", privacy: "privacy", other: "your issue" },
    zh: { product_quality: "商品质量", service_attitude: "服务态度", delivery: "物流配送",
          billing: "收费", after_sales: "售后", safety: "安全", privacy: "隐私",
          other: "相关" }
  };
  var FIELDS = [
    ["id", "Ticket"], ["status", "Status"], ["severity", "Severity"],
    ["category", "Category"], ["emotion_peak", "Emotion"], ["motive", "Motive"],
    ["description", "Description"], ["order_id", "Order"], ["product", "Product"],
    ["desired_resolution", "Wants"], ["contact_phone", "Phone"],
    ["contact_email", "Email"], ["channel", "Channel"], ["language", "Language"],
    ["assigned_agent", "Agent"], ["first_response_due", "First response due"],
    ["resolution_due", "Resolution due"], ["sla_breached", "SLA breached"],
    ["validity", "Validity"]
  ];
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
            : "request failed (" + response.status + ")";
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
    if (h) return h + "h " + (m < 10 ? "0" : "") + m + "m";
    if (m) return m + "m " + (s < 10 ? "0" : "") + s + "s";
    return s + "s";
  }

  function localTime(iso) {
    if (!iso) return "—";
    var when = new Date(iso);
    return isNaN(when) ? iso : when.toLocaleString();
  }

  // --- sign-in ---------------------------------------------------------------------------

  function showDesk(agent) {
    me = agent;
    $("login").hidden = true;
    $("desk").hidden = false;
    $("who").hidden = false;
    $("agent-name").textContent = agent.display_name + " (" + agent.role + ")";
    connect();
    loadMine();
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

  function signedOut() {
    me = null;
    if (socket) { socket.onclose = null; socket.close(); socket = null; }
    clearInterval(heartbeatTimer);
    clearInterval(approvalsTimer);
    clearInterval(alertsTimer);
    $("approvals-box").hidden = true;
    $("alerts-box").hidden = true;
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
      $("login-error").textContent = error.message;
    });
  });

  $("logout").addEventListener("click", function () {
    api("POST", "/api/console/presence", { status: "away" }).catch(function () {})
      .then(function () { return api("POST", "/api/console/logout"); })
      .then(signedOut, signedOut);
  });

  // --- presence ----------------------------------------------------------------------------

  $("presence").addEventListener("change", function () {
    var status = $("presence").value;
    api("POST", "/api/console/presence", { status: status }).then(function () {
      clearInterval(heartbeatTimer);
      if (status === "on_duty") {
        heartbeatTimer = setInterval(function () {
          api("POST", "/api/console/heartbeat").then(function (answer) {
            if (!answer.on_duty && $("presence").value === "on_duty") {
              api("POST", "/api/console/presence", { status: "on_duty" });
            }
          }).catch(function () {});
        }, HEARTBEAT_MS);
      }
    });
  });

  // --- live updates ------------------------------------------------------------------------

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/console/ws");
    $("live").textContent = "connecting…";
    socket.onopen = function () { reconnectDelay = 1000; $("live").textContent = "live"; };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "queue") renderQueue(frame);
      else if (frame.type === "messages") onMessages(frame.messages || []);
      else if (frame.type === "signed_out") signedOut();
    };
    socket.onclose = function () {
      $("live").textContent = "offline, reconnecting…";
      if (!me) return;
      setTimeout(function () { if (me) connect(); }, reconnectDelay);
      reconnectDelay = Math.min(reconnectDelay * 2, 30000);
    };
  }

  // --- the queue ---------------------------------------------------------------------------

  function badge(severity) {
    return el("span", "badge " + severity, severity);
  }

  function renderQueue(frame) {
    queueRows = frame.items || [];
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
      var wait = el("span", "waiting");
      wait.dataset.base = row.waiting_seconds;
      wait.textContent = duration(row.waiting_seconds);
      head.appendChild(wait);
      item.appendChild(head);
      item.appendChild(el("p", "summary",
        (ticket.category || "") + " · " + (ticket.description || "")));
      var claim = el("button", null, "Claim");
      claim.type = "button";
      claim.setAttribute("aria-label", "Claim " + row.ticket_id);
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
  }, 1000);

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
      open.setAttribute("aria-label", "Open " + ticket.id);
      open.addEventListener("click", function () {
        openTicket(ticket.id, ticket.conversation_id);
      });
      head.appendChild(open);
      if (unread[ticket.conversation_id]) {
        head.appendChild(el("span", "unread", unread[ticket.conversation_id] + " new"));
      }
      item.appendChild(head);
      item.appendChild(el("p", "summary", ticket.status + " · " + ticket.description));
      list.appendChild(item);
    });
  }

  // --- the conversation --------------------------------------------------------------------

  function showChatError(error) { $("chat-error").textContent = error.message; }

  function openTicket(ticketId, conversationId) {
    current = { ticketId: ticketId, conversationId: conversationId, ticket: null };
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
      FIELDS.forEach(function (pair) {
        var value = ticket[pair[0]];
        if (value === null || value === undefined || value === "") return;
        if (/_due$/.test(pair[0])) value = localTime(value);
        if (pair[0] === "severity") {
          fields.appendChild(el("dt", null, pair[1]));
          var dd = el("dd");
          dd.appendChild(badge(value));
          fields.appendChild(dd);
          return;
        }
        fields.appendChild(el("dt", null, pair[1]));
        fields.appendChild(el("dd", null, value === true ? "yes" : value === false ? "no" : value));
      });
      showSeverity(ticket);
      $("canned-lang").value = ticket.language === "zh" ? "zh" : "en";
      $("validity").value = ticket.validity || "";
      showRemedyState(ticket);
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
      var note = context.emotion_note || "the emotion history is not available now";
      $("emotion-note").textContent = note.charAt(0).toUpperCase() + note.slice(1) + ".";
      return;
    }
    if (!context.emotion.length) {
      $("emotion-note").textContent = "No messages parsed by the bot yet.";
      return;
    }
    context.emotion.forEach(function (point, index) {
      var item = el("li", point.level, point.level);
      var said = localTime(point.at) + " · " + point.level + " (" +
        Math.round(point.score * 100) + "%) · " + point.excerpt;
      item.title = said;
      item.setAttribute("aria-label", "Message " + (index + 1) + ": " + said);
      strip.appendChild(item);
    });
    var last = context.emotion[context.emotion.length - 1];
    $("emotion-note").textContent = context.emotion.length + " messages, latest " + last.level +
      ". Messages written to an agent are not rated.";
  }

  function renderEarlier(context) {
    var list = $("earlier");
    $("earlier-count").textContent = "(" + context.earlier_total + ")";
    if (!context.earlier_complaints.length) {
      list.appendChild(el("li", "muted", "None: this is the first complaint."));
      return;
    }
    context.earlier_complaints.forEach(function (earlier) {
      var item = el("li");
      item.dataset.ticket = earlier.id;
      item.appendChild(badge(earlier.severity));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(el("strong", null, earlier.id));
      item.appendChild(el("div", "summary", [
        localTime(earlier.created_at), earlier.category, earlier.status,
        earlier.csat === null ? "not rated" : "CSAT " + earlier.csat + "/5"
      ].join(" · ")));
      list.appendChild(item);
    });
    if (context.earlier_total > context.earlier_complaints.length) {
      list.appendChild(el("li", "muted", "… and " +
        (context.earlier_total - context.earlier_complaints.length) + " older."));
    }
  }

  function appendMessage(message) {
    if (shownIds[message.id]) return;
    shownIds[message.id] = true;
    var who = { customer: "Customer", bot: "Bot", system: "Notice" }[message.from] ||
      (message.name || "Agent");
    var item = el("li", "from-" + message.from);
    item.appendChild(el("div", "who-line", who + " · " + localTime(message.at)));
    item.appendChild(el("div", "text", message.text));
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

  CANNED.forEach(function (reply) {
    var option = el("option", null, reply.title);
    option.value = reply.id;
    $("canned").appendChild(option);
  });

  $("canned-insert").addEventListener("click", function () {
    var lang = $("canned-lang").value;
    var chosen = CANNED.filter(function (r) { return r.id === $("canned").value; })[0];
    if (!chosen) return;
    var ticket = (current && current.ticket) || {};
    var values = {
      name: me ? me.display_name : "",
      ticket: ticket.id || "",
      category: (CATEGORY_NAMES[lang] || {})[ticket.category] || ticket.category || "",
      due: localTime(ticket.resolution_due)
    };
    var text = chosen[lang].replace(/\{(\w+)\}/g, function (all, key) {
      return key in values ? values[key] : all;
    });
    var box = $("message");
    box.value = box.value ? box.value.replace(/\s*$/, " ") + text : text;
    box.focus();
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
      return "Note added.";
    });
  });

  $("resolve-form").addEventListener("submit", function (event) {
    event.preventDefault();
    ticketAction("/resolve", { resolution_note: $("resolution").value }, function (ticket) {
      $("resolution").value = "";
      $("send").hidden = true;
      return "Resolved; the bot has the conversation again (" + ticket.status + ").";
    });
  });

  $("release").addEventListener("click", function () {
    ticketAction("/release", {}, function () {
      $("send").hidden = true;
      return "Released to the bot; the ticket stays yours.";
    });
  });

  $("transfer-form").addEventListener("submit", function (event) {
    event.preventDefault();
    ticketAction("/transfer", { to_agent: $("transfer-to").value.trim() }, function (ticket) {
      $("send").hidden = true;
      return "Transferred to " + ticket.assigned_agent + ".";
    });
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
      return "Severity is now " + ticket.severity + "; first response due " +
        localTime(ticket.first_response_due) + ".";
    });
  });

  // --- remedies (员工处理投诉的权力) and validity ---------------------------------------------

  function money(amount, currency) {
    return Number(amount).toFixed(2) + " " + currency;
  }

  function describeRemedy(remedy) {
    if (remedy.amount === null || remedy.amount === undefined) return remedy.type;
    return remedy.type + " " + money(remedy.amount, remedy.currency);
  }

  function fillSelect(select, values) {
    select.textContent = "";
    values.forEach(function (value) {
      var option = el("option", null, value);
      option.value = value;
      select.appendChild(option);
    });
  }

  function loadRemedyPolicy() {
    api("GET", "/api/remedy-policy").then(function (policy) {
      remedyPolicy = policy;
      fillSelect($("remedy-type"), policy.types.map(function (t) { return t.type; }));
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
      text = "You grant this on the spot.";
    } else if (yours === "approval") {
      text = "This always goes to a supervisor for approval.";
    } else {
      text = "You grant up to " + Object.keys(yours).map(function (code) {
        return money(yours[code], code);
      }).join(" / ") + " on the spot; above that it goes to a supervisor.";
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
      state.textContent = "Granted: " + describeRemedy(granted) + " by " + granted.granted_by +
        (granted.approved_by ? ", approved by " + granted.approved_by : "");
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
          state.textContent = "Sent for approval: " + describeRemedy(waiting) + " (request #" +
            waiting.id + " by " + waiting.requested_by + ")";
          return;
        }
        state.textContent = "No remedy yet.";
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
          ? "Granted: " + describeRemedy(answer.ticket.remedy) + "."
          : "Sent for approval: " + describeRemedy(answer.request) + " (" + answer.why + ").";
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
      return "Marked " + ticket.validity + ".";
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
      open.setAttribute("aria-label", "Open " + request.ticket_id);
      open.addEventListener("click", function () { openTicket(request.ticket_id, null); });
      head.appendChild(open);
      head.appendChild(el("strong", "asked", describeRemedy(request)));
      item.appendChild(head);
      item.appendChild(el("p", "summary", "asked by " + request.requested_by + " · " +
        localTime(request.requested_at) + (request.note ? " · " + request.note : "")));
      item.appendChild(el("p", "muted", request.cannot_decide_why || request.why));
      var decide = el("div", "decide");
      var approve = el("button", null, "Approve");
      approve.type = "button";
      approve.disabled = !request.can_decide;
      approve.setAttribute("aria-label", "Approve request #" + request.id);
      approve.addEventListener("click", function () {
        decideRequest(request, "approve", undefined, item);
      });
      var reason = el("input");
      reason.maxLength = 4000;
      reason.placeholder = "reason to decline";
      reason.setAttribute("aria-label", "Reason to decline request #" + request.id);
      var decline = el("button", "secondary", "Decline");
      decline.type = "button";
      decline.setAttribute("aria-label", "Decline request #" + request.id);
      decline.addEventListener("click", function () {
        var text = reason.value.trim();
        if (!text) {
          $("approvals-error").textContent = "Say why you decline request #" + request.id + ".";
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
      $("approvals-status").textContent = (verb === "approve" ? "Approved: " : "Declined: ") +
        describeRemedy(answer.request) + " on " + answer.ticket.id + ".";
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
      return alert.subject + " · " + d.count + " complaints, " + d.expected + " expected";
    }
    var deadline = alert.deadline === "first_response" ? "first response" : "resolution";
    var what = alert.kind === "breach"
      ? "missed its " + deadline + " deadline (" + localTime(alert.due) + ")"
      : deadline + " due " + localTime(alert.due);
    return what + " · " + alert.severity + " · " + alert.category;
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
        early ? (alert.kind === "spike" ? "Spike" : "Cluster") : breach ? "Breach" : "Warning"));
      if (early) {
        var link = el("a", "secondary", "Dashboard");
        link.href = alert.link;
        item.appendChild(link);
        item.appendChild(el("span", "alert-text", alertText(alert)));
        item.appendChild(ackButton(alert, alert.subject));
        list.appendChild(item);
        return;
      }
      var open = el("button", "secondary", alert.ticket_id);
      open.type = "button";
      open.setAttribute("aria-label", "Open " + alert.ticket_id);
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
    var ack = el("button", null, "Ack");
    ack.type = "button";
    ack.setAttribute("aria-label", "Acknowledge the " + alert.kind + " on " + about);
    ack.addEventListener("click", function () {
      ack.disabled = true;
      api("POST", "/api/alerts/" + alert.id + "/ack").then(loadAlerts, function (error) {
        $("alerts-error").textContent = error.message;
        ack.disabled = false;
      });
    });
    return ack;
  }

  // Already signed in (the session cookie survives a reload)?
  api("GET", "/api/console/me").then(showDesk, function () {});
})();
