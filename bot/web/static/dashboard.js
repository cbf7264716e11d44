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
            : "request failed (" + response.status + ")");
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  // --- sign-in ---------------------------------------------------------------------------

  function signedIn(person) {
    $("login").hidden = true;
    $("who").hidden = false;
    $("person").textContent = person.display_name + " (" + person.role + ")";
    if (!LEADS[person.role]) {
      $("board").hidden = true;
      $("denied").hidden = false;
      $("denied-text").textContent = "The dashboard is for supervisors only. You are signed " +
        "in as " + person.username + " (" + person.role + "); the agent console is your place.";
      return;
    }
    $("denied").hidden = true;
    $("board").hidden = false;
    refresh();
  }

  function signedOut() {
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
      $("login-error").textContent = error.message;
    });
  });

  $("logout").addEventListener("click", function () {
    api("POST", "/api/console/logout").then(signedOut, signedOut);
  });

  // --- filters ---------------------------------------------------------------------------

  function isoDay(date) { return date.toISOString().slice(0, 10); }

  function fillSelect(select, values) {
    values.forEach(function (value) {
      var option = el("option", value);
      option.value = value;
      select.appendChild(option);
    });
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
    if (value < 90) return Math.round(value) + " min";
    if (value < 48 * 60) return (value / 60).toFixed(1) + " h";
    return (value / 1440).toFixed(1) + " d";
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
      : summary.csat.average + " (" + summary.csat.rated + " rated)";
    $("kpi-reopen").textContent = pct(summary.reopen.rate_pct);
    var v = summary.validity;
    $("validity").textContent = "invalid " + v.invalid + ", malicious " + v.malicious;
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
  function bars(id, counts, label, onPick) {
    var keys = Object.keys(counts);
    draw(id, {
      type: "bar",
      data: {
        labels: keys,
        datasets: [{ label: label, data: keys.map(function (k) { return counts[k]; }),
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
          return { label: name, data: daily.series[name], borderColor: COLOURS[i % 10],
            backgroundColor: COLOURS[i % 10], tension: 0.2, pointRadius: 2 };
        })
      },
      options: {
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        onClick: function (_event, elements) {
          if (!elements.length) return;
          var name = names[elements[0].datasetIndex], day = daily.days[elements[0].index];
          drill({ category: name, day: day }, name + " on " + day);
        }
      }
    });
    bars("chart-category", summary.by_category, "Complaints", function (key) {
      drill({ category: key }, "category " + key);
    });
    bars("chart-severity", summary.by_severity, "Complaints", function (key) {
      if (DRILLABLE.severity.indexOf(key) >= 0) drill({ severity: key }, "severity " + key);
    });
    bars("chart-channel", summary.by_channel, "Complaints", function (key) {
      drill({ channel: key }, "channel " + key);
    });
    bars("chart-csat", summary.csat.distribution, "Ratings", function (key) {
      drill({ csat: key }, "CSAT " + key);
    });
    bars("chart-motive", summary.by_motive, "Complaints", function (key) {
      if (DRILLABLE.motive.indexOf(key) >= 0) drill({ motive: key }, "motive " + key);
    });
  }

  function showCauses(causes) {
    var body = $("causes");
    body.textContent = "";
    if (!causes.length) {
      var empty = el("tr");
      var cell = el("td", "No root causes in this period.", "muted");
      cell.colSpan = 3;
      empty.appendChild(cell);
      body.appendChild(empty);
    }
    causes.forEach(function (cause) {
      var product = cause.product === null ? "(none)" : cause.product;
      var row = el("tr", undefined, "pick");
      var title = cause.category + " × " + product;
      var button = el("button", cause.category, "link");
      button.type = "button";
      button.setAttribute("aria-label", "Tickets for " + title);
      button.addEventListener("click", function () {
        drill({ category: cause.category, product: product }, title);
      });
      var first = el("td");
      first.appendChild(button);
      row.appendChild(first);
      row.appendChild(el("td", product));
      row.appendChild(el("td", cause.count, "num"));
      body.appendChild(row);
    });
  }

  function showWarnings(found) {
    $("warnings-range").textContent = found.since + " to " + found.until;
    var list = $("warnings");
    list.textContent = "";
    if (!found.items.length) list.appendChild(el("li", "No spikes or clusters.", "muted"));
    found.items.forEach(function (w) {
      var item = el("li", undefined, "warning " + w.kind);
      item.appendChild(el("strong", w.kind === "spike" ? "Spike" : "Cluster of minor complaints"));
      item.appendChild(el("span", " " + w.dimension + " " + w.name + " on " + w.day + ": " +
        w.count + (w.window_days > 1 ? " in " + w.window_days + " days" : "") +
        " where " + w.expected + " expected (p = " + Number(w.p_value).toPrecision(2) + ")"));
      list.appendChild(item);
    });
  }

  function perDay(rate) { return rate.per_day === null ? "—" : rate.per_day + " (" +
    rate.complaints + " in " + rate.days + " d)"; }

  function showActions(found) {
    var body = $("actions");
    body.textContent = "";
    if (!found.items.length) {
      var empty = el("tr");
      var cell = el("td", "No improvement actions recorded (POST /api/improvements).", "muted");
      cell.colSpan = 9;
      empty.appendChild(cell);
      body.appendChild(empty);
    }
    found.items.forEach(function (action) {
      var row = el("tr");
      var change = action.effect.change_pct;
      [action.title, action.category + (action.product ? " × " + action.product : ""),
        action.owner, action.status, action.started_on, action.due_on || "—",
        perDay(action.effect.before), perDay(action.effect.after),
        change === null ? "—" : (change > 0 ? "+" : "") + change + " %"
      ].forEach(function (text) { row.appendChild(el("td", text)); });
      if (change !== null) row.lastChild.className = change < 0 ? "better" : "worse";
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

  function refresh() {
    $("error").textContent = "";
    $("status").textContent = "Loading…";
    $("board").removeAttribute("data-ready");
    setExports();
    Promise.all([
      api("GET", "/api/analytics/summary?" + query()),
      api("GET", "/api/analytics/timeseries?" + query({ by: "category" })),
      api("GET", "/api/analytics/warnings?" + warningRange()),
      api("GET", "/api/improvements")
    ]).then(function (found) {
      showKpis(found[0]);
      showCharts(found[0], found[1]);
      showCauses(found[0].root_causes);
      showWarnings(found[2]);
      showActions(found[3]);
      $("drill").hidden = true;
      $("status").textContent = found[0].total + " complaints";
      $("board").setAttribute("data-ready", "1");
    }, function (error) {
      $("status").textContent = "";
      $("error").textContent = error.message;
    });
  }

  // --- drill-down ------------------------------------------------------------------------

  function drill(narrower, title) {
    var params = query(Object.assign({ limit: DRILL_LIMIT }, narrower));
    var csv = new URLSearchParams(params);
    csv.delete("limit");
    csv.set("format", "csv");
    $("drill-title").textContent = "Tickets: " + title;
    $("drill-csv").href = "/api/analytics/tickets?" + csv.toString();
    $("drill-count").textContent = "Loading…";
    $("drill").hidden = false;
    api("GET", "/api/analytics/tickets?" + params).then(function (page) {
      $("drill-count").textContent = page.total + (page.total === 1 ? " ticket" : " tickets") +
        (page.total > page.items.length ? ", the newest " + page.items.length + " shown" : "");
      var body = $("drill-rows");
      body.textContent = "";
      page.items.forEach(function (ticket) {
        var row = el("tr");
        var link = el("a", ticket.id);
        link.href = "/console#ticket=" + encodeURIComponent(ticket.id);
        var first = el("td");
        first.appendChild(link);
        row.appendChild(first);
        [new Date(ticket.created_at).toLocaleString(), ticket.category, ticket.severity,
          ticket.channel, ticket.product || "—", ticket.status,
          ticket.csat === null ? "—" : ticket.csat
        ].forEach(function (text) { row.appendChild(el("td", text)); });
        body.appendChild(row);
      });
      $("drill").scrollIntoView({ block: "nearest" });
    }, function (error) {
      $("drill-count").textContent = "";
      $("error").textContent = error.message;
    });
  }

  // --- start -----------------------------------------------------------------------------

  fillSelect($("f-category"), CATEGORIES);
  fillSelect($("f-channel"), CHANNELS);
  var today = new Date();
  var monthAgo = new Date(today.getTime() - 29 * 86400000);
  $("f-until").value = isoDay(today);
  $("f-since").value = isoDay(monthAgo);

  api("GET", "/api/console/me").then(signedIn, function () {});
})();
