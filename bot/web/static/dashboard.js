/*
 * complaintbot analytics dashboard: sign in with the console account (supervisors and
 * admins), filter, read the key figures and charts, drill down to the tickets, export CSV.
 * Everything from the gateway's own /api/analytics; text is set with textContent only.
 */
(function () {
  "use strict";

  // The same values as bot.tickets.models (a test checks they agree).
  var CATEGORIES = ["product_quality", "service_attitude", "delivery", "billing",
    "after_sales", "safety", "privacy", "suggestion", "other"];
  var CHANNELS = ["telegram", "webchat", "rest"];
  var STATUSES = ["open", "escalated", "in_progress", "resolved", "closed", "reopened",
    "withdrawn"];
  var SEVERITIES = ["general", "major", "urgent"];
  var ACTION_STATUSES = ["planned", "in_progress", "done", "cancelled"];
  var ALL_LIMIT = 50;
  var LEADS = { supervisor: true, admin: true };
  var DRILLABLE = {
    severity: ["general", "major", "urgent"],
    motive: ["suggestion", "venting", "resolution", "compensation"]
  };
  var MAX_WARNING_DAYS = 92;
  var DRILL_LIMIT = 100;
  var COLOURS = ["#0b6e4f", "#1a5fb4", "#b35c00", "#9b1c1c", "#6a3d9a", "#8a6d00",
    "#2e7d32", "#c24e00", "#5b6670", "#0e7c86"];

  var charts = {};

  function $(id) { return document.getElementById(id); }
  var t = window.I18n.t, label = window.I18n.label;
  var who = null; // the signed-in person
  var lastFound = null; // the figures shown, drawn again when the language changes

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
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
          var error = new Error(typeof data.detail === "string" ? data.detail
            : t("error.request_failed", { status: response.status }));
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  // --- sign-in ---------------------------------------------------------------------------

  function showPerson() {
    $("person").textContent = t("who.name_role",
      { name: who.display_name, role: label("role", who.role) });
    $("denied-text").textContent = t("dashboard.denied_text",
      { username: who.username, role: label("role", who.role) });
  }

  function signedIn(person) {
    who = person;
    if (person.locale && person.locale !== window.I18n.locale()) window.I18n.use(person.locale);
    $("login").hidden = true;
    $("who").hidden = false;
    showPerson();
    if (!LEADS[person.role]) {
      $("board").hidden = true;
      $("denied").hidden = false;
      return;
    }
    $("denied").hidden = true;
    $("board").hidden = false;
    refresh();
    findTickets();
  }

  function signedOut() {
    who = null;
    $("board").hidden = true;
    $("denied").hidden = true;
    $("who").hidden = true;
    $("login").hidden = false;
  }

  $("login").addEventListener("submit", function (event) {
    event.preventDefault();
    $("login-error").textContent = "";
    api("POST", "/api/console/login", {
      username: $("login-username").value.trim(),
      password: $("login-password").value
    }).then(function (person) {
      $("login-password").value = "";
      signedIn(person);
    }, function (error) {
      $("login-error").textContent = error.status === 401 ? t("login.wrong")
        : error.status === 429 ? t("login.throttled") : error.message;
    });
  });

  $("logout").addEventListener("click", function () {
    api("POST", "/api/console/logout").then(signedOut, signedOut);
  });

  // --- filters ---------------------------------------------------------------------------

  function isoDay(date) { return date.toISOString().slice(0, 10); }

  // Codes as values, catalogue labels as text; the first option ("All") stays.
  function fillSelect(select, values, family) {
    var chosen = select.value;
    while (select.options.length > 1) select.remove(1);
    values.forEach(function (value) {
      var option = el("option", label(family, value));
      option.value = value;
      select.appendChild(option);
    });
    select.value = chosen;
  }

  function filters() {
    var found = { since: $("f-since").value, until: $("f-until").value };
    ["category", "channel", "language"].forEach(function (name) {
      var value = $("f-" + name).value;
      if (value) found[name] = value;
    });
    return found;
  }

  function query(extra) {
    var params = new URLSearchParams(filters());
    Object.keys(extra || {}).forEach(function (key) { params.set(key, extra[key]); });
    return params.toString();
  }

  function setExports() {
    $("csv-summary").href = "/api/analytics/summary?" + query({ format: "csv" });
    $("csv-timeseries").href = "/api/analytics/timeseries?" +
      query({ by: "category", format: "csv" });
    $("csv-tickets").href = "/api/analytics/tickets?" + query({ format: "csv" });
  }

  $("filters").addEventListener("submit", function (event) {
    event.preventDefault();
    refresh();
  });

  // --- figures ---------------------------------------------------------------------------

  function minutes(value) {
    if (value === null || value === undefined) return "—";
    if (value < 90) return t("unit.minutes", { n: Math.round(value) });
    if (value < 48 * 60) return t("unit.hours", { n: (value / 60).toFixed(1) });
    return t("unit.days", { n: (value / 1440).toFixed(1) });
  }

  function pct(value) { return value === null || value === undefined ? "—" : value + " %"; }

  function showKpis(summary) {
    $("kpi-total").textContent = String(summary.total);
    $("kpi-sla").textContent = pct(summary.sla.compliance_pct);
    $("kpi-first").textContent = minutes(summary.first_response_minutes.median) + " / " +
      minutes(summary.first_response_minutes.p90);
    $("kpi-resolution").textContent = minutes(summary.resolution_minutes.median) + " / " +
      minutes(summary.resolution_minutes.p90);
    $("kpi-csat").textContent = summary.csat.average === null ? "—"
      : t("kpi.csat_value", { average: summary.csat.average, rated: summary.csat.rated });
    $("kpi-reopen").textContent = pct(summary.reopen.rate_pct);
    var v = summary.validity;
    $("validity").textContent = t("causes.left_out",
      { invalid: v.invalid, malicious: v.malicious });
  }

  function draw(id, config) {
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign({
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: config.type === "line" || config.type === "doughnut" } }
    }, config.options || {});
    charts[id] = new window.Chart($(id), config);
  }

  // A bar chart of one breakdown; a click lists the tickets behind the bar.
  function bars(id, counts, name, family, onPick) {
    var keys = Object.keys(counts);
    draw(id, {
      type: "bar",
      data: {
        labels: keys.map(function (k) { return family ? label(family, k) : k; }),
        datasets: [{ label: name, data: keys.map(function (k) { return counts[k]; }),
          backgroundColor: COLOURS[0] }]
      },
      options: {
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        onClick: function (_event, elements) {
          if (elements.length) onPick(keys[elements[0].index]);
        }
      }
    });
  }

  function showCharts(summary, daily) {
    var names = Object.keys(daily.series);
    draw("chart-daily", {
      type: "line",
      data: {
        labels: daily.days,
        datasets: names.map(function (name, i) {
          return { label: label("category", name), data: daily.series[name],
            borderColor: COLOURS[i % 10],
            backgroundColor: COLOURS[i % 10], tension: 0.2, pointRadius: 2 };
        })
      },
      options: {
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        onClick: function (_event, elements) {
          if (!elements.length) return;
          var name = names[elements[0].datasetIndex], day = daily.days[elements[0].index];
          drill({ category: name, day: day },
            t("drill.on_day", { name: label("category", name), day: day }));
        }
      }
    });
    var complaints = t("kpi.total");
    bars("chart-category", summary.by_category, complaints, "category", function (key) {
      drill({ category: key }, t("drill.by_category", { value: label("category", key) }));
    });
    bars("chart-severity", summary.by_severity, complaints, "severity", function (key) {
      if (DRILLABLE.severity.indexOf(key) >= 0) {
        drill({ severity: key }, t("drill.by_severity", { value: label("severity", key) }));
      }
    });
    bars("chart-channel", summary.by_channel, complaints, "channel", function (key) {
      drill({ channel: key }, t("drill.by_channel", { value: label("channel", key) }));
    });
    bars("chart-csat", summary.csat.distribution, t("chart.ratings"), null, function (key) {
      drill({ csat: key }, t("drill.by_csat", { value: key }));
    });
    bars("chart-motive", summary.by_motive, complaints, "motive", function (key) {
      if (DRILLABLE.motive.indexOf(key) >= 0) {
        drill({ motive: key }, t("drill.by_motive", { value: label("motive", key) }));
      }
    });
  }

  function showCauses(causes) {
    var body = $("causes");
    body.textContent = "";
    if (!causes.length) {
      var empty = el("tr");
      var cell = el("td", t("causes.none"), "muted");
      cell.colSpan = 4;
      empty.appendChild(cell);
      body.appendChild(empty);
    }
    causes.forEach(function (cause) {
      var product = cause.product === null ? "(none)" : cause.product;
      var shownProduct = cause.product === null ? t("causes.no_product") : cause.product;
      var row = el("tr", undefined, "pick");
      var title = label("category", cause.category) + " × " + shownProduct;
      var button = el("button", label("category", cause.category), "link");
      button.type = "button";
      button.setAttribute("aria-label", t("causes.tickets_for", { cause: title }));
      button.addEventListener("click", function () {
        drill({ category: cause.category, product: product }, title);
      });
      var first = el("td");
      first.appendChild(button);
      row.appendChild(first);
      row.appendChild(el("td", shownProduct));
      row.appendChild(el("td", cause.count, "num"));
      var plan = el("button", t("actions.plan"), "secondary");
      plan.type = "button";
      plan.setAttribute("aria-label", t("actions.plan_aria", { cause: title }));
      plan.addEventListener("click", function () {
        editAction(null, { category: cause.category, product: cause.product }, title);
      });
      var last = el("td");
      last.appendChild(plan);
      row.appendChild(last);
      body.appendChild(row);
    });
  }

  function showWarnings(found) {
    $("warnings-range").textContent = t("warnings.range",
      { since: found.since, until: found.until });
    var list = $("warnings");
    list.textContent = "";
    if (!found.items.length) list.appendChild(el("li", t("warnings.none"), "muted"));
    found.items.forEach(function (w) {
      var item = el("li", undefined, "warning " + w.kind);
      item.appendChild(el("strong", t(w.kind === "spike" ? "warnings.spike" : "warnings.cluster")));
      var name = w.dimension === "category" ? label("category", w.name) : w.name;
      item.appendChild(el("span", " " + t(w.window_days > 1 ? "warnings.text_days"
        : "warnings.text", { dimension: label("dimension", w.dimension), name: name,
        day: w.day, count: w.count, days: w.window_days, expected: w.expected,
        p: Number(w.p_value).toPrecision(2) })));
      list.appendChild(item);
    });
  }

  function perDay(rate) {
    return rate.per_day === null ? "—" : t("actions.per_day",
      { per_day: rate.per_day, complaints: rate.complaints, days: rate.days });
  }

  function showActions(found) {
    var body = $("actions");
    body.textContent = "";
    if (!found.items.length) {
      var empty = el("tr");
      var cell = el("td", t("actions.none"), "muted");
      cell.colSpan = 10;
      empty.appendChild(cell);
      body.appendChild(empty);
    }
    found.items.forEach(function (action) {
      var row = el("tr");
      var change = action.effect.change_pct;
      [action.title,
        label("category", action.category) + (action.product ? " × " + action.product : ""),
        action.owner, label("action_status", action.status), action.started_on,
        action.due_on || "—",
        perDay(action.effect.before), perDay(action.effect.after),
        change === null ? "—" : (change > 0 ? "+" : "") + change + " %"
      ].forEach(function (text) { row.appendChild(el("td", text)); });
      if (change !== null) row.lastChild.className = change < 0 ? "better" : "worse";
      var edit = el("button", t("actions.edit"), "secondary");
      edit.type = "button";
      edit.setAttribute("aria-label", t("actions.edit_aria", { title: action.title }));
      edit.addEventListener("click", function () { editAction(action, action, action.title); });
      var last = el("td");
      last.appendChild(edit);
      row.appendChild(last);
      body.appendChild(row);
    });
  }

  function warningRange() {
    var until = $("f-until").value, since = $("f-since").value;
    var earliest = new Date(until + "T00:00:00Z");
    earliest.setUTCDate(earliest.getUTCDate() - (MAX_WARNING_DAYS - 1));
    if (new Date(since + "T00:00:00Z") < earliest) since = isoDay(earliest);
    return new URLSearchParams({ since: since, until: until }).toString();
  }

  // --- per team (teams.yml): the range's figures, and each team's open tickets now --------

  var lastTeams = null;

  function loadTeamFigures() {
    Promise.all([
      api("GET", "/api/teams"),
      api("GET", "/api/analytics/teams?" + query()),
      api("GET", "/api/teams/queues")
    ]).then(function (found) {
      lastTeams = found;
      showTeams(found);
    }, function () { $("teams-box").hidden = true; });
  }

  function showTeams(found) {
    var config = found[0], figures = found[1].teams, queues = found[2].teams;
    $("teams-box").hidden = !config.teams.length;
    if (!config.teams.length) return;
    var titles = {}, byTeam = {}, open = {};
    config.teams.forEach(function (team) { titles[team.name] = team.title || {}; });
    figures.forEach(function (row) { byTeam[row.team] = row; });
    queues.forEach(function (row) { open[row.team] = row; });
    var names = config.teams.map(function (team) { return team.name; });
    Object.keys(byTeam).concat(Object.keys(open)).forEach(function (name) {
      if (names.indexOf(name) < 0) names.push(name);
    });
    var body = $("teams-rows");
    body.textContent = "";
    names.forEach(function (name) {
      var row = byTeam[name], queue = open[name] || {};
      var title = name === "(none)" ? t("teams.none")
        : (titles[name] || {})[window.I18n.locale()] || (titles[name] || {}).en || name;
      var tr = el("tr");
      tr.dataset.team = name;
      [
        title,
        row ? String(row.total) : "0",
        minutes(row ? row.first_response_median_minutes : null),
        minutes(row ? row.resolution_median_minutes : null),
        pct(row ? row.sla.compliance_pct : null),
        row && row.csat.average !== null
          ? t("kpi.csat_value", { average: row.csat.average, rated: row.csat.rated }) : "—",
        String(queue.open || 0),
        String(queue.unassigned || 0),
        String(queue.breached || 0),
        queue.oldest_age_minutes === null || queue.oldest_age_minutes === undefined
          ? "—" : minutes(queue.oldest_age_minutes)
      ].forEach(function (text) { tr.appendChild(el("td", text)); });
      body.appendChild(tr);
    });
  }

  function show(found) {
    showKpis(found[0]);
    showCharts(found[0], found[1]);
    showCauses(found[0].root_causes);
    showWarnings(found[2]);
    showActions(found[3]);
    $("status").textContent = t("dashboard.status_total", { n: found[0].total });
  }

  function refresh() {
    $("error").textContent = "";
    $("status").textContent = t("common.loading");
    $("board").removeAttribute("data-ready");
    setExports();
    loadTeamFigures();
    Promise.all([
      api("GET", "/api/analytics/summary?" + query()),
      api("GET", "/api/analytics/timeseries?" + query({ by: "category" })),
      api("GET", "/api/analytics/warnings?" + warningRange()),
      api("GET", "/api/improvements")
    ]).then(function (found) {
      lastFound = found;
      show(found);
      $("drill").hidden = true;
      $("board").setAttribute("data-ready", "1");
    }, function (error) {
      $("status").textContent = "";
      $("error").textContent = error.message;
    });
  }

  // --- improvement actions: planned from a root cause, updated from the table -------------

  var editing = null; // {id (null: new), category, product}

  function editAction(action, cause, title) {
    editing = { id: action ? action.id : null, category: cause.category,
      product: cause.product === undefined ? null : cause.product };
    $("action-form-title").textContent = action
      ? t("actions.form_edit", { title: title }) : t("actions.form_new", { cause: title });
    $("a-title").value = action ? action.title : "";
    $("a-owner").value = action ? action.owner : (who ? who.username : "");
    $("a-started").value = action ? action.started_on : isoDay(new Date());
    $("a-due").value = action && action.due_on ? action.due_on : "";
    $("a-status").value = action ? action.status : "planned";
    $("a-description").value = action && action.description ? action.description : "";
    $("a-error").textContent = "";
    $("action-box").hidden = false;
    $("action-box").scrollIntoView({ block: "nearest" });
    $("a-title").focus();
  }

  $("action-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!editing) return;
    var body = {
      title: $("a-title").value.trim(),
      owner: $("a-owner").value.trim(),
      started_on: $("a-started").value,
      due_on: $("a-due").value || null,
      status: $("a-status").value,
      description: $("a-description").value.trim() || null
    };
    var saving = editing.id === null
      ? api("POST", "/api/improvements", Object.assign(
        { category: editing.category, product: editing.product }, body))
      : api("PATCH", "/api/improvements/" + editing.id, body);
    saving.then(function () {
      editing = null;
      $("action-box").hidden = true;
      refresh();
    }, function (error) { $("a-error").textContent = error.message; });
  });

  $("a-cancel").addEventListener("click", function () {
    editing = null;
    $("action-box").hidden = true;
  });

  // --- all tickets: the tickets API's filters and its full-text search -------------------

  // A page of tickets into #<prefix>-rows and its count into #<prefix>-count: each row the
  // ticket's id (opening it in the console) and then `cells(ticket)`.
  function listTickets(page, prefix, cells) {
    $(prefix + "-count").textContent = t(page.total === 1 ? "drill.count_one" : "drill.count",
      { n: page.total }) + (page.total > page.items.length
      ? t("drill.newest_shown", { n: page.items.length }) : "");
    var body = $(prefix + "-rows");
    body.textContent = "";
    page.items.forEach(function (ticket) {
      var row = el("tr");
      var link = el("a", ticket.id);
      link.href = "/console#ticket=" + encodeURIComponent(ticket.id);
      var first = el("td");
      first.appendChild(link);
      row.appendChild(first);
      cells(ticket).forEach(function (text) { row.appendChild(el("td", text)); });
      body.appendChild(row);
    });
  }

  function findTickets() {
    var params = new URLSearchParams({ limit: ALL_LIMIT });
    var q = $("all-q").value.trim();
    if (q) params.set("q", q);
    ["status", "severity", "category", "channel"].forEach(function (name) {
      var value = $("all-" + name).value;
      if (value) params.set(name, value);
    });
    if ($("all-breached").checked) params.set("breached", "true");
    $("all-count").textContent = t("common.loading");
    api("GET", "/api/tickets?" + params.toString()).then(function (page) {
      listTickets(page, "all", function (ticket) {
        return [window.I18n.time(ticket.created_at), label("category", ticket.category),
          label("severity", ticket.severity), label("status", ticket.status),
          ticket.assigned_agent || "—", ticket.description || "—"];
      });
    }, function (error) {
      $("all-count").textContent = "";
      $("error").textContent = error.message;
    });
  }

  $("all-form").addEventListener("submit", function (event) {
    event.preventDefault();
    findTickets();
  });

  function fillChoices() {
    fillSelect($("f-category"), CATEGORIES, "category");
    fillSelect($("f-channel"), CHANNELS, "channel");
    fillSelect($("all-status"), STATUSES, "status");
    fillSelect($("all-severity"), SEVERITIES, "severity");
    fillSelect($("all-category"), CATEGORIES, "category");
    fillSelect($("all-channel"), CHANNELS, "channel");
    var status = $("a-status").value;
    $("a-status").textContent = "";
    ACTION_STATUSES.forEach(function (value) {
      var option = el("option", label("action_status", value));
      option.value = value;
      $("a-status").appendChild(option);
    });
    $("a-status").value = status || "planned";
  }

  // --- drill-down ------------------------------------------------------------------------

  function drill(narrower, title) {
    var params = query(Object.assign({ limit: DRILL_LIMIT }, narrower));
    var csv = new URLSearchParams(params);
    csv.delete("limit");
    csv.set("format", "csv");
    $("drill-title").textContent = t("drill.title_for", { title: title });
    $("drill-csv").href = "/api/analytics/tickets?" + csv.toString();
    $("drill-count").textContent = t("common.loading");
    $("drill").hidden = false;
    api("GET", "/api/analytics/tickets?" + params).then(function (page) {
      listTickets(page, "drill", function (ticket) {
        return [window.I18n.time(ticket.created_at), label("category", ticket.category),
          label("severity", ticket.severity), label("channel", ticket.channel),
          ticket.product || "—", label("status", ticket.status),
          ticket.csat === null ? "—" : ticket.csat];
      });
      $("drill").scrollIntoView({ block: "nearest" });
    }, function (error) {
      $("drill-count").textContent = "";
      $("error").textContent = error.message;
    });
  }

  // --- start -----------------------------------------------------------------------------

  // The language switch: labels, figures and charts drawn again in the new language.
  window.I18n.onChange(function () {
    fillChoices();
    if (!who) return;
    showPerson();
    if (lastFound) show(lastFound);
    if (lastTeams) showTeams(lastTeams);
    $("drill").hidden = true;
  });

  var today = new Date();
  var monthAgo = new Date(today.getTime() - 29 * 86400000);
  $("f-until").value = isoDay(today);
  $("f-since").value = isoDay(monthAgo);

  window.I18n.load().then(function () {
    window.I18n.bindSwitch(function (locale) { if (who) window.I18n.save(locale); });
    fillChoices();
    api("GET", "/api/console/me").then(signedIn, function () {});
  });
})();
