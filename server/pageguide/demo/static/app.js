/*
 * Lumen demo app: behaviour for the five demo pages.
 *
 * Plain modern JavaScript, no libraries. Loaded as an external file and never
 * uses inline handlers, inline styles or eval, so the pages work under
 * `script-src 'self'; style-src 'self'`.
 *
 * Two friction points are deliberate (they exist so the assistant has
 * something to help with in demos):
 *   1. Team: "Send invite" silently does nothing until a role is chosen.
 *   2. Billing: the payment form's "Save" button looks enabled but does
 *      nothing until "Card number" is filled, and the VAT ID field needs a
 *      2-letter country prefix while its error only says "Invalid value".
 */
(() => {
  "use strict";

  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  /** Create an element: h("td", { class: "num" }, "text", childNode). */
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === false || value == null) continue;
      if (name === "text") el.textContent = value;
      else el.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child == null || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  const money = (n) =>
    "$" + n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  const nowTime = () =>
    new Date().toLocaleTimeString("en-US", { hour: "2-digit", minute: "2-digit", hour12: false });

  /* ------------------------------------------------------------------ */
  /* Toasts                                                              */
  /* ------------------------------------------------------------------ */

  function toast(message, kind = "info") {
    const region = $("#toasts");
    if (!region) return;
    const el = h("div", { class: kind === "error" ? "toast error" : "toast" }, message);
    region.append(el);
    while (region.children.length > 3) region.firstElementChild.remove();
    setTimeout(() => el.remove(), 4200);
  }

  /* ------------------------------------------------------------------ */
  /* Validation: visible error messages driven by HTML constraints       */
  /* ------------------------------------------------------------------ */

  const CONTROLS = "input, select, textarea";

  /** Errors are only shown for controls that have a `#<id>-error` element. */
  const errorElementFor = (control) =>
    control.id ? document.getElementById(control.id + "-error") : null;

  function messageFor(control) {
    const v = control.validity;
    const d = control.dataset;
    if (v.valid) return "";
    if (v.customError) return control.validationMessage;
    if (v.valueMissing) return d.msgRequired || "This field is required.";
    if (v.typeMismatch || v.badInput) return d.msgType || "Enter a valid value.";
    if (v.patternMismatch) return d.msgPattern || "Enter a value in the expected format.";
    if (v.rangeUnderflow || v.rangeOverflow || v.stepMismatch) {
      return d.msgRange || "Enter a value in the allowed range.";
    }
    if (v.tooLong || v.tooShort) return d.msgLength || "This value has the wrong length.";
    return control.validationMessage || "Invalid value";
  }

  function showError(control, message) {
    const el = errorElementFor(control);
    if (!el) return;
    control.setAttribute("aria-invalid", "true");
    el.textContent = message;
    el.hidden = false;
  }

  function clearError(control) {
    const el = errorElementFor(control);
    control.removeAttribute("aria-invalid");
    if (el) {
      el.textContent = "";
      el.hidden = true;
    }
  }

  function validateControl(control) {
    if (!control.willValidate) {
      clearError(control);
      return true;
    }
    const message = messageFor(control);
    if (message && errorElementFor(control)) showError(control, message);
    else clearError(control);
    return !message;
  }

  /** Validate every control; focus the first invalid one. Returns true if valid. */
  function validateForm(form) {
    let firstInvalid = null;
    for (const control of $$(CONTROLS, form)) {
      if (!validateControl(control) && !firstInvalid) firstInvalid = control;
    }
    if (firstInvalid) firstInvalid.focus();
    return !firstInvalid;
  }

  function resetForm(form) {
    form.reset();
    for (const control of $$(CONTROLS, form)) {
      control.setCustomValidity("");
      clearError(control);
    }
  }

  /** Re-check a field when the user leaves it, and clear errors as they fix it. */
  function watchForm(form) {
    form.addEventListener(
      "blur",
      (event) => {
        const control = event.target;
        if (!control.matches || !control.matches(CONTROLS)) return;
        if (control.value === "" && !control.hasAttribute("aria-invalid")) return;
        // Leaving the field for this form's submit button: the submit validates. Showing the
        // error now would push the button down under the pointer and the click would miss it.
        const next = event.relatedTarget;
        if (next && next.type === "submit" && next.form === form) return;
        validateControl(control);
      },
      true,
    );
    const recheck = (event) => {
      const control = event.target;
      if (control.getAttribute && control.getAttribute("aria-invalid") === "true") {
        control.setCustomValidity("");
        validateControl(control);
      }
    };
    form.addEventListener("input", recheck);
    form.addEventListener("change", recheck);
  }

  $$("form[data-validate]").forEach(watchForm);

  /* ------------------------------------------------------------------ */
  /* Dialogs, copy buttons                                               */
  /* ------------------------------------------------------------------ */

  function openDialog(dialog) {
    if (!dialog || dialog.open) return;
    dialog.showModal();
    const first = $("input:not([type=hidden]):not([readonly]), select, textarea", dialog);
    if (first) first.focus();
  }

  function closeDialog(dialog) {
    if (dialog && dialog.open) dialog.close();
  }

  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      event.preventDefault();
      openDialog(document.getElementById(opener.dataset.openDialog));
      return;
    }
    const closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      closeDialog(closer.closest("dialog"));
      return;
    }
    // Click on the backdrop closes the dialog.
    if (event.target instanceof HTMLDialogElement && event.target.open) {
      const r = event.target.getBoundingClientRect();
      const inside =
        event.clientX >= r.left && event.clientX <= r.right &&
        event.clientY >= r.top && event.clientY <= r.bottom;
      if (!inside) closeDialog(event.target);
    }
  });

  // Reset dialog forms whenever a dialog closes.
  $$("dialog").forEach((dialog) => {
    dialog.addEventListener("close", () => $$("form:not([data-keep-state])", dialog).forEach(resetForm));
  });

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy-target]");
    if (!button) return;
    const input = document.getElementById(button.dataset.copyTarget);
    if (!input) return;
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      input.select();
      document.execCommand("copy");
    }
    toast("Copied to clipboard.");
  });

  /* ------------------------------------------------------------------ */
  /* Dashboard                                                           */
  /* ------------------------------------------------------------------ */

  function initDashboard() {
    const rangeSelect = $("#date-range");
    if (!rangeSelect) return;

    const TODAY = new Date(Date.UTC(2025, 10, 19)); // demo "today": Nov 19, 2025
    const DAY = 86400000;
    const fmt = (d, opts) => d.toLocaleDateString("en-US", { timeZone: "UTC", ...opts });
    const short = (d) => fmt(d, { month: "short", day: "numeric" });
    const long = (d) => fmt(d, { month: "short", day: "numeric", year: "numeric" });

    /** Deterministic pseudo-random numbers so a range always draws the same chart. */
    function seeded(seedText) {
      let seed = 0;
      for (const ch of seedText) seed = (seed * 31 + ch.charCodeAt(0)) >>> 0;
      return () => {
        seed = (seed * 1664525 + 1013904223) >>> 0;
        return seed / 4294967296;
      };
    }

    function series(key, count, weekendDips = false, start = null) {
      const rnd = seeded(key);
      const out = [];
      for (let i = 0; i < count; i++) {
        let v = 45 + (i / count) * 30 + rnd() * 20;
        if (weekendDips && start) {
          const day = new Date(start.getTime() + i * DAY).getUTCDay();
          if (day === 0 || day === 6) v -= 25;
        }
        out.push(Math.max(5, Math.min(100, Math.round(v / 5) * 5)));
      }
      return out;
    }

    function daily(from, to, key) {
      const count = Math.round((to - from) / DAY) + 1;
      const labels = [];
      const every = count > 14 ? 7 : 1;
      for (let i = 0; i < count; i++) {
        labels.push(i % every === 0 ? short(new Date(from.getTime() + i * DAY)) : "");
      }
      const titles = Array.from({ length: count }, (_, i) => short(new Date(from.getTime() + i * DAY)));
      return { bars: series(key, count, true, from), labels, titles, interval: "Daily" };
    }

    const RANGES = {
      today: () => ({
        label: "Today", span: `${long(TODAY)}, so far`,
        stats: ["1,204", "84.2K", "4.1%", "—"],
        deltas: [["up", "▲ 3.1% vs yesterday"], ["up", "▲ 2.4% vs yesterday"], ["down", "▼ 0.6 pts vs yesterday"], ["", "Not enough data yet"]],
        chart: {
          interval: "Hourly",
          bars: series("today", 12).map((v, i) => (i > 7 ? 5 : v)),
          labels: ["00:00", "", "", "06:00", "", "", "12:00", "", "", "18:00", "", ""],
          titles: Array.from({ length: 12 }, (_, i) => `${String(i * 2).padStart(2, "0")}:00`),
        },
      }),
      yesterday: () => ({
        label: "Yesterday", span: long(new Date(TODAY - DAY)),
        stats: ["2,311", "171K", "4.8%", "—"],
        deltas: [["up", "▲ 1.2% vs day before"], ["up", "▲ 0.8% vs day before"], ["up", "▲ 0.2 pts vs day before"], ["", "Not enough data yet"]],
        chart: {
          interval: "Hourly",
          bars: series("yesterday", 12),
          labels: ["00:00", "", "", "06:00", "", "", "12:00", "", "", "18:00", "", ""],
          titles: Array.from({ length: 12 }, (_, i) => `${String(i * 2).padStart(2, "0")}:00`),
        },
      }),
      "7d": () => {
        const from = new Date(TODAY - 6 * DAY);
        return {
          label: "Last 7 days", span: `${short(from)} – ${long(TODAY)}`,
          stats: ["7,912", "598K", "4.9%", "39%"],
          deltas: [["up", "▲ 4.0% vs previous period"], ["up", "▲ 7.3% vs previous period"], ["up", "▲ 0.4 pts vs previous period"], ["up", "▲ 1 pt vs previous period"]],
          chart: (() => {
            const d = daily(from, TODAY, "7d");
            return { ...d, labels: d.titles };
          })(),
        };
      },
      "30d": () => {
        const from = new Date(TODAY - 29 * DAY);
        return {
          label: "Last 30 days", span: `${short(from)} – ${long(TODAY)}`,
          stats: ["18,429", "2.41M", "4.7%", "38%"],
          deltas: [["up", "▲ 6.2% vs previous period"], ["up", "▲ 11.8% vs previous period"], ["down", "▼ 0.3 pts vs previous period"], ["up", "▲ 2 pts vs previous period"]],
          chart: daily(from, TODAY, "30d"),
        };
      },
      "90d": () => {
        const from = new Date(TODAY - 89 * DAY);
        const weeks = 13;
        const titles = Array.from({ length: weeks }, (_, i) => short(new Date(from.getTime() + i * 7 * DAY)));
        return {
          label: "Last 90 days", span: `${short(from)} – ${long(TODAY)}`,
          stats: ["41,077", "6.93M", "4.6%", "37%"],
          deltas: [["up", "▲ 12.5% vs previous period"], ["up", "▲ 18.0% vs previous period"], ["down", "▼ 0.5 pts vs previous period"], ["up", "▲ 3 pts vs previous period"]],
          chart: { interval: "Weekly", bars: series("90d", weeks), titles, labels: titles.map((t, i) => (i % 3 === 0 ? t : "")) },
        };
      },
      "12m": () => {
        const titles = [];
        for (let i = 11; i >= 0; i--) {
          const d = new Date(Date.UTC(2025, 10 - i, 1));
          titles.push(fmt(d, { month: "short" }));
        }
        return {
          label: "Last 12 months", span: `Dec 1, 2024 – ${long(TODAY)}`,
          stats: ["96,310", "24.8M", "4.4%", "36%"],
          deltas: [["up", "▲ 48% vs previous period"], ["up", "▲ 61% vs previous period"], ["up", "▲ 0.9 pts vs previous period"], ["up", "▲ 4 pts vs previous period"]],
          chart: { interval: "Monthly", bars: series("12m", 12), titles, labels: titles },
        };
      },
    };

    const summary = $("#range-summary");
    const chart = $("#dau-chart");
    const chartLabels = $("#dau-labels");
    const chartTitle = $("#dau-title");
    const chartMeta = $("#dau-meta");
    const customForm = $("#custom-range-form");
    const compare = $("#compare-toggle");

    function renderChart(data) {
      chart.replaceChildren(
        ...data.bars.map((v, i) => h("div", { class: "bar", "data-h": v, title: data.titles[i] })),
      );
      chartLabels.replaceChildren(...data.labels.map((l) => h("span", {}, l)));
      chartTitle.textContent = `${data.interval} active users`;
      chartMeta.replaceChildren("Bar chart · Unique users · ", h("code", {}, "session_started"), ` · ${data.interval}`);
    }

    function render(range) {
      ["users", "events", "conversion", "retention"].forEach((key, i) => {
        $(`[data-stat="${key}"]`).textContent = range.stats[i];
        const delta = $(`[data-delta="${key}"]`);
        delta.className = `delta ${range.deltas[i][0]}`.trim();
        delta.textContent = range.deltas[i][1];
      });
      renderChart(range.chart);
      chart.setAttribute("aria-label", `${range.chart.interval} active users, ${range.label.toLowerCase()}`);
      summary.replaceChildren(
        "Showing ", h("strong", {}, range.label), ` (${range.span}) · Time zone: UTC · Data updated 2 minutes ago`,
      );
    }

    rangeSelect.addEventListener("change", () => {
      const value = rangeSelect.value;
      if (value === "custom") {
        customForm.hidden = false;
        $("#range-from").focus();
        return;
      }
      customForm.hidden = true;
      resetForm(customForm);
      render(RANGES[value]());
    });

    watchForm(customForm);
    customForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const fromInput = $("#range-from");
      const toInput = $("#range-to");
      fromInput.setCustomValidity("");
      toInput.setCustomValidity("");
      if (fromInput.value && toInput.value && toInput.value < fromInput.value) {
        toInput.setCustomValidity("The end date must be on or after the start date.");
      }
      if (!validateForm(customForm)) return;
      const from = new Date(fromInput.value + "T00:00:00Z");
      const to = new Date(toInput.value + "T00:00:00Z");
      const days = Math.round((to - from) / DAY) + 1;
      if (days > 366) {
        toInput.setCustomValidity("Custom ranges can be at most 366 days. Use Last 12 months for longer trends.");
        validateForm(customForm);
        return;
      }
      let chartData;
      if (days <= 31) {
        chartData = daily(from, to, fromInput.value + toInput.value);
      } else {
        const weeks = Math.ceil(days / 7);
        const titles = Array.from({ length: weeks }, (_, i) => short(new Date(from.getTime() + i * 7 * DAY)));
        const every = Math.ceil(weeks / 6);
        chartData = {
          interval: "Weekly", bars: series(fromInput.value + toInput.value, weeks), titles,
          labels: titles.map((t, i) => (i % every === 0 ? t : "")),
        };
      }
      const base = RANGES["30d"]();
      render({
        ...base,
        label: "Custom range",
        span: `${long(from)} – ${long(to)}, ${days} day${days === 1 ? "" : "s"}`,
        chart: chartData,
      });
      toast(`Showing ${long(from)} – ${long(to)}.`);
    });

    compare.addEventListener("change", () => {
      $$("[data-delta]").forEach((el) => (el.hidden = !compare.checked));
    });

    /* Dashboards: switching, creating, adding charts, sharing */
    const picker = $("#dashboard-picker");
    const subtitle = $("#dashboard-subtitle");
    const chartCount = $("#chart-count");
    const grids = new Map([["product-overview", $("#chart-grid")]]);
    const owners = new Map([
      ["product-overview", "Owned by Dana Whitfield · Visible to everyone at Acme Inc."],
      ["growth-weekly", "Owned by Priya Shah · Visible to everyone at Acme Inc."],
      ["activation-funnel", "Owned by Marcus Chen · Visible to everyone at Acme Inc."],
    ]);

    function chartCard(title, type, event, measure) {
      const measureLabel = { total: "Total events", unique: "Unique users", average: "Average per user" }[measure] || "Total events";
      const typeLabel = { line: "Line chart", bar: "Bar chart", funnel: "Funnel chart", number: "Number", table: "Table" }[type] || "Bar chart";
      let visual;
      if (type === "number") {
        const rnd = seeded(title + event);
        visual = h("p", { class: "stat-value" }, Math.round(1000 + rnd() * 20000).toLocaleString("en-US"));
      } else if (type === "funnel" || type === "table") {
        visual = h("div", { class: "placeholder-chart" }, `${typeLabel} for ${event} will appear when data arrives.`);
      } else {
        visual = h("div", { class: `bar-chart${type === "line" ? " alt" : ""}`, role: "img", "aria-label": title },
          series(title + event, 14).map((v) => h("div", { class: "bar", "data-h": v })));
      }
      return h("article", { class: "card chart-card" },
        h("div", { class: "card-header" },
          h("div", {}, h("h3", {}, title), h("p", { class: "chart-meta" }, `${typeLabel} · ${measureLabel} · `, h("code", {}, event)))),
        visual);
    }

    function emptyState() {
      return h("article", { class: "card chart-card wide", "data-empty": true },
        h("div", { class: "placeholder-chart" }, "This dashboard has no charts yet. Click Add chart to create the first one."));
    }

    function gridFor(id) {
      if (!grids.has(id)) {
        const grid = h("div", { class: "chart-grid", hidden: true });
        if (id === "growth-weekly") {
          grid.append(chartCard("Weekly signups", "bar", "signup_completed", "total"),
            chartCard("New workspaces", "line", "workspace_created", "total"));
        } else if (id === "activation-funnel") {
          grid.append(chartCard("Activation funnel", "funnel", "signup_completed", "unique"),
            chartCard("Activated users", "number", "dashboard_created", "unique"));
        } else {
          grid.append(emptyState());
        }
        $("#chart-grid").after(grid);
        grids.set(id, grid);
      }
      return grids.get(id);
    }

    function updateChartCount() {
      const grid = gridFor(picker.value);
      const n = $$(".chart-card:not([data-empty])", grid).length;
      chartCount.textContent = `${n} chart${n === 1 ? "" : "s"}`;
    }

    function showDashboard(id) {
      for (const grid of grids.values()) grid.hidden = true;
      gridFor(id).hidden = false;
      const name = picker.selectedOptions[0].textContent;
      subtitle.textContent = `${name} · ${owners.get(id) || "Owned by Sam Rivera · Only you"}`;
      $$("[data-dashboard-name]").forEach((el) => (el.textContent = name));
      updateChartCount();
    }

    picker.addEventListener("change", () => showDashboard(picker.value));

    $("#new-dashboard-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const form = event.currentTarget;
      const nameInput = $("#dashboard-name");
      nameInput.setCustomValidity("");
      const name = nameInput.value.trim();
      const taken = $$("option", picker).some((o) => o.textContent.toLowerCase() === name.toLowerCase());
      if (name && taken) nameInput.setCustomValidity("You already have a dashboard with this name.");
      if (!name) nameInput.value = "";
      if (!validateForm(form)) return;
      const id = "d-" + Date.now();
      const visibility = form.elements.visibility.value;
      owners.set(id, visibility === "workspace" ? "Owned by Sam Rivera · Visible to everyone at Acme Inc." : "Owned by Sam Rivera · Only you (private)");
      picker.append(h("option", { value: id }, name));
      picker.value = id;
      closeDialog(form.closest("dialog"));
      showDashboard(id);
      toast(`Dashboard “${name}” created. Click Add chart to start building it.`);
    });

    $("#add-chart-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const form = event.currentTarget;
      if (!validateForm(form)) return;
      const grid = gridFor(picker.value);
      const limit = 50;
      if ($$(".chart-card:not([data-empty])", grid).length >= limit) {
        toast(`A dashboard can have at most ${limit} charts.`, "error");
        return;
      }
      $$("[data-empty]", grid).forEach((el) => el.remove());
      const title = form.elements.title.value.trim();
      grid.append(chartCard(title, form.elements.type.value, form.elements.event.value, form.elements.measure.value));
      closeDialog(form.closest("dialog"));
      updateChartCount();
      toast(`Chart “${title}” added.`);
      grid.lastElementChild.scrollIntoView({ behavior: "smooth", block: "center" });
    });

    $("#share-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const form = event.currentTarget;
      if (!validateForm(form)) return;
      const email = form.elements.email.value;
      const permission = form.elements.permission.value === "edit" ? "can edit" : "can view";
      form.elements.email.value = "";
      toast(`Shared with ${email} (${permission}). They'll get an email with a link.`);
    });

    const publicToggle = $("#public-link-toggle");
    publicToggle.addEventListener("change", () => {
      $("#public-link-row").hidden = !publicToggle.checked;
      toast(publicToggle.checked ? "Public link enabled. Anyone with the link can view this dashboard." : "Public link disabled. The old link no longer works.");
    });
    $("#share-dialog").addEventListener("close", () => {
      // The public-link toggle keeps its state; only the email field is cleared.
      const email = $("#share-email");
      email.value = "";
      clearError(email);
    });
  }

  /* ------------------------------------------------------------------ */
  /* Billing                                                             */
  /* ------------------------------------------------------------------ */

  function initBilling() {
    const plansSection = $("#plans");
    if (!plansSection) return;

    const PLANS = {
      starter: { name: "Starter", monthly: 49, annual: 39, seats: 3, events: 1, retention: 12, rank: 1 },
      growth: { name: "Growth", monthly: 249, annual: 199, seats: 10, events: 5, retention: 24, rank: 2 },
      scale: { name: "Scale", monthly: 799, annual: 639, seats: 25, events: 25, retention: 36, rank: 3 },
    };
    const state = { plan: "growth", period: "monthly", seatsUsed: 7, canceled: false, renewal: "December 1, 2025" };
    const RENEWAL = "December 1, 2025";
    const DAYS_LEFT = 12;
    const PERIOD_DAYS = 30;
    let pending = null;

    const confirmBox = $("#plan-confirm");
    const confirmText = $("#plan-confirm-text");
    const confirmTitle = $("#plan-confirm-title");
    const confirmError = $("#plan-confirm-error");
    const confirmButton = $("#confirm-plan-button");

    const period = () => $("input[name=billing_period]:checked").value;

    $("#change-plan-button").addEventListener("click", () => {
      plansSection.scrollIntoView({ behavior: "smooth", block: "start" });
      plansSection.focus({ preventScroll: true });
    });

    function refreshPlanCards() {
      const p = period();
      $$(".plan-option[data-plan]").forEach((card) => {
        const key = card.dataset.plan;
        const price = $(".price", card);
        if (price && price.dataset.priceMonthly) {
          price.replaceChildren(
            (p === "annual" ? price.dataset.priceAnnual : price.dataset.priceMonthly) + " ",
            h("small", {}, p === "annual" ? "/ month, billed annually" : "/ month"),
          );
        }
        const isCurrent = key === state.plan && p === state.period;
        card.classList.toggle("is-current", key === state.plan);
        card.classList.toggle("is-selected", pending && pending.plan === key);
        const heading = $("h3", card);
        $$(".badge", heading).forEach((b) => b.remove());
        if (key === state.plan) heading.append(h("span", { class: "badge brand" }, "Current plan"));
        const button = $("[data-select-plan]", card);
        if (!button) return;
        button.disabled = isCurrent;
        if (isCurrent) button.textContent = "Current plan";
        else if (key === state.plan) button.textContent = p === "annual" ? "Switch to annual" : "Switch to monthly";
        else button.textContent = `Select ${PLANS[key].name}`;
      });
    }

    function describeChange(key, p) {
      const from = PLANS[state.plan];
      const to = PLANS[key];
      const oldMonthly = state.period === "monthly" ? from.monthly : from.annual;
      const unused = (oldMonthly * DAYS_LEFT) / PERIOD_DAYS;
      const isDowngrade = to.rank < from.rank || (to.rank === from.rank && p === "monthly");
      if (isDowngrade) {
        const price = p === "annual" ? `${money(to.annual * 12)} / year` : `${money(to.monthly)} / month`;
        const text = `${to.name} (${p}) at ${price} starts on ${RENEWAL}, at the end of your current billing period. ` +
          `You keep ${from.name} features until then. Downgrades aren't refunded.`;
        let error = "";
        if (state.seatsUsed > to.seats) {
          const extra = state.seatsUsed - to.seats;
          error = `You're using ${state.seatsUsed} seats, but ${to.name} includes ${to.seats}. ` +
            `Remove ${extra} member${extra === 1 ? "" : "s"} or pending invitation${extra === 1 ? "" : "s"} on the Team page before you downgrade.`;
        }
        return { title: `Downgrade to ${to.name}`, text, error, kind: "downgrade" };
      }
      if (p === "annual") {
        const total = to.annual * 12;
        const charge = total - unused;
        const verb = to.rank === from.rank ? `Switch ${to.name} to annual billing` : `Upgrade to ${to.name} (annual)`;
        return {
          title: verb,
          text: `${money(total)} / year (${money(to.annual)} / month). Takes effect immediately. ` +
            `The ${money(unused)} of unused time on your current plan is credited, so you'll be charged ${money(charge)} today. ` +
            `Your plan then renews on November 19, 2026.`,
          invoice: `${to.name} plan (annual), less ${money(unused)} credit for unused ${from.name} time`,
          renewal: "November 19, 2026",
          error: "", kind: "upgrade", charge,
        };
      }
      const charge = ((to.monthly - oldMonthly) * DAYS_LEFT) / PERIOD_DAYS;
      return {
        title: `Upgrade to ${to.name}`,
        text: `${money(to.monthly)} / month. Takes effect immediately. You'll be charged a prorated ${money(charge)} today ` +
          `for the ${DAYS_LEFT} days left in this billing period, then ${money(to.monthly)} on ${RENEWAL}.`,
        invoice: `Upgrade ${from.name} → ${to.name} (prorated, ${DAYS_LEFT} of ${PERIOD_DAYS} days)`,
        renewal: RENEWAL,
        error: "", kind: "upgrade", charge,
      };
    }

    $$("input[name=billing_period]").forEach((radio) =>
      radio.addEventListener("change", () => {
        pending = null;
        confirmBox.hidden = true;
        refreshPlanCards();
      }),
    );

    plansSection.addEventListener("click", (event) => {
      const button = event.target.closest("[data-select-plan]");
      if (!button || button.disabled) return;
      const key = button.dataset.selectPlan;
      const p = period();
      const change = describeChange(key, p);
      pending = { plan: key, period: p, ...change };
      confirmTitle.textContent = change.title;
      confirmText.textContent = change.text;
      confirmError.textContent = change.error;
      confirmError.hidden = !change.error;
      confirmButton.disabled = Boolean(change.error);
      confirmBox.hidden = false;
      refreshPlanCards();
      confirmBox.scrollIntoView({ behavior: "smooth", block: "nearest" });
    });

    $("#cancel-plan-button").addEventListener("click", () => {
      pending = null;
      confirmBox.hidden = true;
      refreshPlanCards();
    });

    confirmButton.addEventListener("click", () => {
      if (!pending || pending.error) return;
      const to = PLANS[pending.plan];
      if (pending.kind === "downgrade") {
        const note = $("#scheduled-change");
        note.textContent = `Scheduled: ${to.name} (${pending.period}) starts on ${RENEWAL}.`;
        note.hidden = false;
        toast(`Your plan changes to ${to.name} on ${RENEWAL}.`);
      } else {
        state.plan = pending.plan;
        state.period = pending.period;
        state.renewal = pending.renewal;
        $("#current-plan-name").textContent = to.name;
        $("#current-plan-period").textContent = pending.period === "annual" ? "Annual" : "Monthly";
        $("#current-plan-price").replaceChildren(
          pending.period === "annual" ? `${money(to.annual * 12)} / year · Renews on ` : `${money(to.monthly)} / month · Renews on `,
          h("strong", {}, state.renewal),
        );
        addInvoice(pending.invoice, pending.charge);
        renderCancelSummary();
        const used = 3.1;
        const pct = Math.round((used / to.events) * 100);
        $("#plan-seats").textContent = `${state.seatsUsed} of ${to.seats} used`;
        $("#plan-retention").textContent = `${to.retention} months`;
        $("#plan-events").textContent = `${used}M of ${to.events}M`;
        $("#plan-events-pct").textContent = `${pct}%`;
        $("#plan-events-meter").dataset.w = String(Math.max(5, Math.round(pct / 5) * 5));
        toast(`You're now on ${to.name}. ${money(pending.charge)} was charged to your card; the invoice is on its way to billing@acme.io.`);
      }
      pending = null;
      confirmBox.hidden = true;
      refreshPlanCards();
    });

    let invoiceNumber = 11;
    function addInvoice(description, amount) {
      invoiceNumber += 1;
      const id = `INV-2025-${String(invoiceNumber).padStart(4, "0")}`;
      const row = h("tr", { class: "is-new" },
        h("td", {}, "Nov 19, 2025"), h("td", { class: "mono" }, id), h("td", {}, description),
        h("td", { class: "num" }, money(amount)), h("td", {}, h("span", { class: "badge success" }, "Paid")),
        h("td", { class: "actions" },
          h("button", { type: "button", class: "btn btn-sm", "data-download": `${id}.pdf` }, "Invoice PDF"),
          h("button", { type: "button", class: "btn btn-sm", "data-download": `RCPT-2025-${String(invoiceNumber).padStart(4, "0")}.pdf` }, "Receipt")));
      $("#invoices-heading").closest("section").querySelector("tbody").prepend(row);
    }

    document.addEventListener("click", (event) => {
      const button = event.target.closest("[data-download]");
      if (button) toast(`Demo: ${button.dataset.download} would download now.`);
    });

    /* Payment method */
    const paymentForm = $("#payment-form");
    const updateCardButton = $("#update-card-button");
    watchForm(paymentForm);

    function setPaymentFormOpen(open) {
      paymentForm.hidden = !open;
      updateCardButton.setAttribute("aria-expanded", String(open));
      if (open) $("#cardholder-name").focus();
      else resetForm(paymentForm);
    }

    updateCardButton.addEventListener("click", () => setPaymentFormOpen(paymentForm.hidden));
    $("#cancel-payment-button").addEventListener("click", () => setPaymentFormOpen(false));

    paymentForm.addEventListener("submit", (event) => {
      event.preventDefault();
      // Deliberate friction: "Save" looks enabled but nothing happens (no message,
      // no focus change) until the card number has been filled in.
      if ($("#card-number").value.trim() === "") return;
      if (!validateForm(paymentForm)) return;
      const digits = $("#card-number").value.replace(/\D/g, "");
      const brand = digits.startsWith("4") ? "Visa" : /^5[1-5]/.test(digits) ? "Mastercard" : /^3[47]/.test(digits) ? "American Express" : "Card";
      const [mm, yy] = $("#card-expiry-input").value.split("/");
      const email = $("#billing-email").value;
      $("#card-summary").textContent = `${brand} ending in ${digits.slice(-4)}`;
      $("#card-expiry").textContent = `Expires ${mm}/20${yy} · Billing email: ${email}`;
      $(".card-brand").textContent = brand === "Visa" ? "VISA" : brand === "Mastercard" ? "MC" : brand === "American Express" ? "AMEX" : "CARD";
      setPaymentFormOpen(false);
      toast("Payment method updated. Your next invoice will be charged to the new card.");
    });

    /* Cancel / resume subscription */
    const cancelForm = $("#cancel-form");
    const cancelSummary = $("#cancel-summary");
    function renderCancelSummary() {
      cancelSummary.replaceChildren(
        `If you cancel, Acme Inc. keeps the ${PLANS[state.plan].name} plan until `,
        h("strong", {}, state.renewal),
        ". After that the workspace becomes read-only, and your data is deleted 90 days later unless you resubscribe.",
      );
    }

    cancelForm.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!validateForm(cancelForm)) return;
      state.canceled = true;
      closeDialog(cancelForm.closest("dialog"));
      cancelSummary.replaceChildren(
        `Your subscription is canceled. Acme Inc. keeps the ${PLANS[state.plan].name} plan until `,
        h("strong", {}, state.renewal),
        ", then the workspace becomes read-only. Resume any time before then to keep everything as it is.",
      );
      $("#cancel-subscription-link").hidden = true;
      $("#resume-row").hidden = false;
      const badge = $("#current-plan-heading").parentElement.querySelector(".badge");
      badge.className = "badge warning";
      badge.replaceChildren(h("span", { class: "status-dot" }), `Cancels on ${state.renewal}`);
      toast(`Subscription canceled. You keep access until ${state.renewal}.`);
    });

    $("#resume-subscription-button").addEventListener("click", () => {
      state.canceled = false;
      renderCancelSummary();
      $("#cancel-subscription-link").hidden = false;
      $("#resume-row").hidden = true;
      const badge = $("#current-plan-heading").parentElement.querySelector(".badge");
      badge.className = "badge success";
      badge.replaceChildren(h("span", { class: "status-dot" }), "Active");
      toast(`Subscription resumed. Your plan renews on ${state.renewal}.`);
    });

    refreshPlanCards();
  }

  /* ------------------------------------------------------------------ */
  /* Team                                                                */
  /* ------------------------------------------------------------------ */

  function initTeam() {
    const inviteForm = $("#invite-form");
    if (!inviteForm) return;

    const SEATS = 10;
    const state = { used: 7, freeingAtRenewal: 0 };
    const seatUsage = $("#seat-usage");
    const emailInput = $("#invite-email");
    const roleSelect = $("#invite-role");
    const pendingBody = $("#pending-body");
    const membersBody = $("#members-body");
    const ROLE_LABEL = { admin: "Admin", editor: "Editor", viewer: "Viewer" };

    function renderSeats() {
      let text = `${state.used} of ${SEATS} seats used`;
      if (state.freeingAtRenewal) {
        text += ` · ${state.freeingAtRenewal} freed on Dec 1`;
      }
      seatUsage.textContent = text;
    }

    function knownEmails() {
      return [
        ...$$(".person span", membersBody).map((el) => el.textContent.trim().toLowerCase()),
        ...$$("tr[data-invite]", pendingBody).map((tr) => tr.dataset.invite.toLowerCase()),
      ];
    }

    function pendingEmptyRow() {
      if (!$("tr[data-invite]", pendingBody)) {
        pendingBody.replaceChildren(h("tr", { class: "empty-row" }, h("td", { colspan: 4 }, "No pending invitations.")));
      }
    }

    // Re-check the email as the user types/leaves the field. (The role select
    // has no error element on purpose, so it never shows a message.)
    emailInput.addEventListener("blur", () => {
      if (emailInput.value !== "" || emailInput.hasAttribute("aria-invalid")) validateControl(emailInput);
    });
    emailInput.addEventListener("input", () => {
      emailInput.setCustomValidity("");
      if (emailInput.hasAttribute("aria-invalid")) validateControl(emailInput);
    });

    inviteForm.addEventListener("submit", (event) => {
      event.preventDefault();
      // Deliberate friction: without a role the button silently does nothing.
      if (roleSelect.value === "") return;

      emailInput.setCustomValidity("");
      const email = emailInput.value.trim().toLowerCase();
      if (email && knownEmails().includes(email)) {
        emailInput.setCustomValidity(`${email} is already a member or has a pending invitation.`);
      } else if (state.used >= SEATS) {
        emailInput.setCustomValidity(`All ${SEATS} seats are in use. Remove a member or change your plan on the Billing page to add seats.`);
      }
      if (!validateControl(emailInput)) {
        emailInput.focus();
        return;
      }
      const role = ROLE_LABEL[roleSelect.value];
      $("tr.empty-row", pendingBody)?.remove();
      pendingBody.prepend(
        h("tr", { "data-invite": email, class: "is-new" },
          h("td", {}, email), h("td", {}, role), h("td", {}, "In 7 days"),
          h("td", { class: "actions" },
            h("button", { type: "button", class: "btn btn-sm", "data-resend-invite": email }, "Resend"),
            h("button", { type: "button", class: "btn btn-sm btn-ghost-danger", "data-revoke-invite": email }, "Revoke"))),
      );
      state.used += 1;
      renderSeats();
      resetForm(inviteForm);
      toast(`Invitation sent to ${email} as ${role}. It expires in 7 days.`);
    });

    pendingBody.addEventListener("click", (event) => {
      const resend = event.target.closest("[data-resend-invite]");
      const revoke = event.target.closest("[data-revoke-invite]");
      if (resend) {
        resend.closest("tr").children[2].textContent = "In 7 days";
        toast(`Invitation resent to ${resend.dataset.resendInvite}. It expires in 7 days.`);
      } else if (revoke) {
        revoke.closest("tr").remove();
        state.used -= 1;
        renderSeats();
        pendingEmptyRow();
        toast(`Invitation to ${revoke.dataset.revokeInvite} revoked. The link no longer works and the seat is free again.`);
      }
    });

    membersBody.addEventListener("change", (event) => {
      const select = event.target.closest("[data-role-for]");
      if (!select) return;
      const role = select.selectedOptions[0].textContent;
      toast(`${select.dataset.roleFor} is now ${role === "Admin" ? "an" : "a"} ${role}. The change applies immediately.`);
    });

    const dialog = $("#remove-member-dialog");
    let target = null;
    membersBody.addEventListener("click", (event) => {
      const button = event.target.closest("[data-remove-member]");
      if (!button) return;
      target = button;
      $$("[data-member-name]", dialog).forEach((el) => (el.textContent = button.dataset.removeMember));
      $$("[data-member-dashboards]", dialog).forEach((el) => (el.textContent = button.dataset.dashboards));
      openDialog(dialog);
    });

    $("#remove-member-form").addEventListener("submit", (event) => {
      event.preventDefault();
      if (!target) return;
      const name = target.dataset.removeMember;
      const count = Number(target.dataset.dashboards);
      target.closest("tr").remove();
      target = null;
      closeDialog(dialog);
      state.freeingAtRenewal += 1;
      renderSeats();
      const moved = count === 0 ? "They had no dashboards to transfer." :
        `${count} dashboard${count === 1 ? " was" : "s were"} transferred to Dana Whitfield.`;
      toast(`${name} was removed and can no longer access Acme Inc. ${moved}`);
    });
  }

  /* ------------------------------------------------------------------ */
  /* API keys                                                            */
  /* ------------------------------------------------------------------ */

  function initApiKeys() {
    const createForm = $("#create-key-form");
    if (!createForm) return;

    const LIMIT = 20;
    const keysBody = $("#keys-body");
    const secretPanel = $("#secret-panel");
    const SCOPE_LABEL = { ingest: "Ingest only", read: "Read only", full: "Full access" };
    const GRACE_LABEL = { "0": "", "1h": "1 hour", "24h": "24 hours", "7d": "7 days" };

    const keyNames = () => $$("tr[data-key]", keysBody).map((tr) => tr.dataset.key);
    const rowFor = (name) => $$("tr[data-key]", keysBody).find((tr) => tr.dataset.key === name);

    function newSecret(env) {
      const bytes = new Uint8Array(20);
      crypto.getRandomValues(bytes);
      return `lum_${env}_` + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    }

    function showSecret(name, secret) {
      $("#secret-key-name").textContent = name;
      $("#secret-value").value = secret;
      secretPanel.hidden = false;
      secretPanel.scrollIntoView({ behavior: "smooth", block: "center" });
    }

    function updateCount() {
      $("#key-count").textContent = `${keyNames().length} of ${LIMIT} keys`;
    }

    $("#secret-done-button").addEventListener("click", () => {
      secretPanel.hidden = true;
      $("#secret-value").value = "";
    });

    createForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const nameInput = $("#key-name");
      nameInput.setCustomValidity("");
      const name = nameInput.value.trim();
      if (keyNames().some((n) => n.toLowerCase() === name.toLowerCase())) {
        nameInput.setCustomValidity("A key with this name already exists. Choose a different name.");
      } else if (keyNames().length >= LIMIT) {
        nameInput.setCustomValidity(`You've reached the limit of ${LIMIT} keys. Delete a key you no longer use first.`);
      }
      if (!validateForm(createForm)) return;
      const env = createForm.elements.environment.value;
      const scope = SCOPE_LABEL[createForm.elements.scope.value];
      const secret = newSecret(env);
      $("tr.empty-row", keysBody)?.remove();
      keysBody.prepend(
        h("tr", { "data-key": name, class: "is-new" },
          h("td", {}, h("strong", {}, name)),
          h("td", {}, h("span", { class: "key-prefix" }, secret.slice(0, 13) + "…")),
          h("td", {}, scope),
          h("td", {}, "Nov 19, 2025"),
          h("td", { "data-last-used": true }, "Never"),
          h("td", { class: "actions" },
            h("button", { type: "button", class: "btn btn-sm", "data-rotate-key": name }, "Rotate"),
            h("button", { type: "button", class: "btn btn-sm btn-ghost-danger", "data-delete-key": name }, "Delete"))),
      );
      resetForm(createForm);
      updateCount();
      showSecret(name, secret);
      toast(`Key “${name}” created. Copy it now; you won't see it again.`);
    });

    const rotateDialog = $("#rotate-key-dialog");
    const deleteDialog = $("#delete-key-dialog");
    let target = null;

    keysBody.addEventListener("click", (event) => {
      const rotate = event.target.closest("[data-rotate-key]");
      const del = event.target.closest("[data-delete-key]");
      if (!rotate && !del) return;
      target = (rotate || del).closest("tr").dataset.key;
      const dialog = rotate ? rotateDialog : deleteDialog;
      $$("[data-key-name]", dialog).forEach((el) => (el.textContent = target));
      openDialog(dialog);
    });

    $("#rotate-key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const row = rowFor(target);
      if (!row) return;
      const grace = event.currentTarget.elements.grace.value;
      const env = $(".key-prefix", row).textContent.includes("_test_") ? "test" : "live";
      const secret = newSecret(env);
      $(".key-prefix", row).textContent = secret.slice(0, 13) + "…";
      $$(".badge", row.cells[0]).forEach((b) => b.remove());
      row.cells[0].append(" ", h("span", { class: "badge warning" },
        grace === "0" ? "Rotated just now" : `Old secret expires in ${GRACE_LABEL[grace]}`));
      closeDialog(rotateDialog);
      showSecret(target, secret);
      toast(grace === "0"
        ? `“${target}” rotated. The old secret stopped working immediately.`
        : `“${target}” rotated. The old secret keeps working for ${GRACE_LABEL[grace]}.`);
    });

    const confirmInput = $("#delete-key-confirm");
    confirmInput.addEventListener("input", () => {
      confirmInput.setCustomValidity("");
      if (confirmInput.hasAttribute("aria-invalid")) validateControl(confirmInput);
    });

    $("#delete-key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      confirmInput.setCustomValidity("");
      if (confirmInput.value !== "" && confirmInput.value.trim() !== target) {
        confirmInput.setCustomValidity(`That doesn't match. Type ${target} exactly as shown.`);
      }
      if (!validateControl(confirmInput)) {
        confirmInput.focus();
        return;
      }
      rowFor(target)?.remove();
      closeDialog(deleteDialog);
      if (!$("tr[data-key]", keysBody)) {
        keysBody.append(h("tr", { class: "empty-row" }, h("td", { colspan: 6 }, "No API keys yet. Create one above.")));
      }
      updateCount();
      toast(`“${target}” was deleted. Requests using it now fail with 401 Unauthorized.`);
    });
  }

  /* ------------------------------------------------------------------ */
  /* Slack integration                                                   */
  /* ------------------------------------------------------------------ */

  function initSlack() {
    const connectButton = $("#connect-slack-button");
    if (!connectButton) return;

    const status = $("#connection-status");
    const text = $("#connection-text");
    const channelFieldset = $("#channel-fieldset");
    const ruleFieldset = $("#rule-fieldset");
    const disconnectButton = $("#disconnect-slack-button");
    const rulesBody = $("#rules-body");
    const log = $("#delivery-log");
    const channelSelect = $("#default-channel");
    const ruleForm = $("#alert-rule-form");
    let connected = false;

    const channelLabel = (option) => option.textContent.trim();

    function logDelivery(ok, message) {
      $("[data-empty]", log)?.remove();
      log.prepend(h("li", {},
        h("time", {}, nowTime()),
        h("span", {}, h("span", { class: ok ? "badge success" : "badge danger" }, ok ? "Delivered" : "Failed")),
        h("span", {}, message)));
      while (log.children.length > 20) log.lastElementChild.remove();
    }

    function setConnected(on) {
      connected = on;
      channelFieldset.disabled = !on;
      ruleFieldset.disabled = !on;
      disconnectButton.disabled = !on;
      connectButton.hidden = on;
      $("#channel-disabled-note").hidden = on;
      status.className = on ? "badge success" : "badge";
      status.replaceChildren(h("span", { class: "status-dot" }), on ? "Connected" : "Not connected");
      if (on) {
        text.replaceChildren("Connected to the ", h("strong", {}, "Acme Corp"), " Slack workspace by Sam Rivera on Nov 19, 2025.");
      } else {
        text.textContent = "Connect your Slack workspace to send alerts. You need permission to install apps in that Slack workspace. Owners and Admins can connect integrations.";
      }
      $$("tr[data-rule]", rulesBody).forEach((row) => {
        const badge = $(".rule-status", row);
        if (!on && badge.textContent === "Active") {
          badge.textContent = "Paused (Slack disconnected)";
          badge.className = "badge warning rule-status";
        } else if (on && badge.textContent.startsWith("Paused (Slack")) {
          badge.textContent = "Active";
          badge.className = "badge success rule-status";
        }
      });
    }

    connectButton.addEventListener("click", () => openDialog($("#slack-oauth-dialog")));

    $("#slack-oauth-form").addEventListener("submit", (event) => {
      event.preventDefault();
      closeDialog($("#slack-oauth-dialog"));
      connectButton.classList.add("is-busy");
      connectButton.textContent = "Connecting…";
      setTimeout(() => {
        connectButton.classList.remove("is-busy");
        connectButton.textContent = "Connect Slack";
        setConnected(true);
        toast("Slack connected. Choose a default channel and send a test message.");
        channelSelect.focus();
      }, 700);
    });

    $("#disconnect-form").addEventListener("submit", (event) => {
      event.preventDefault();
      closeDialog($("#disconnect-dialog"));
      setConnected(false);
      toast("Slack disconnected. Your alert rules are paused, not deleted.");
    });

    channelSelect.addEventListener("change", () => {
      toast(`Default channel set to ${channelLabel(channelSelect.selectedOptions[0])}.`);
    });

    $("#test-message-button").addEventListener("click", () => {
      if (!connected) return;
      const option = channelSelect.selectedOptions[0];
      if (option.dataset.private) {
        logDelivery(false, `Test message to ${channelLabel(option)}: not_in_channel. Lumen isn't a member of this private channel. Type /invite @Lumen in the channel, then try again.`);
        toast(`Couldn't post to ${channelLabel(option)}: Lumen isn't in that channel.`, "error");
      } else {
        logDelivery(true, `Test message to ${channelLabel(option)}.`);
        toast(`Test message posted to ${channelLabel(option)}.`);
      }
    });

    const METRIC = { count: "Event count", unique: "Unique users", conversion: "Conversion rate" };
    const CONDITION = { below: "drops below", above: "rises above", change: "changes by more than" };
    const WINDOW = { "15m": "every 15 minutes", "1h": "every hour", "24h": "every 24 hours" };

    ruleForm.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!connected || !validateForm(ruleForm)) return;
      const f = ruleForm.elements;
      const name = f.name.value.trim();
      const channelOption = f.channel.selectedOptions[0];
      const channel = f.channel.value === ""
        ? `Default (${channelLabel(channelSelect.selectedOptions[0])})`
        : channelLabel(channelOption);
      const unit = f.condition.value === "change" || f.metric.value === "conversion" ? "%" : "";
      const summary = `${METRIC[f.metric.value]} of ${f.event.value} ${CONDITION[f.condition.value]} ${f.threshold.value}${unit}, checked ${WINDOW[f.window.value]}` +
        (f.mention_here.checked ? ", mentions @here" : "");
      $("tr.empty-row", rulesBody)?.remove();
      rulesBody.append(
        h("tr", { "data-rule": name, class: "is-new" },
          h("td", {}, h("strong", {}, name)),
          h("td", {}, summary),
          h("td", {}, channel),
          h("td", {}, h("span", { class: "badge success rule-status" }, "Active")),
          h("td", { class: "actions" },
            h("button", { type: "button", class: "btn btn-sm", "data-pause-rule": true }, "Pause"),
            h("button", { type: "button", class: "btn btn-sm btn-ghost-danger", "data-delete-rule": true }, "Delete"))),
      );
      resetForm(ruleForm);
      toast(`Alert rule “${name}” saved.`);
    });

    rulesBody.addEventListener("click", (event) => {
      const row = event.target.closest("tr[data-rule]");
      if (!row) return;
      if (event.target.closest("[data-delete-rule]")) {
        row.remove();
        if (!$("tr[data-rule]", rulesBody)) {
          rulesBody.append(h("tr", { class: "empty-row" }, h("td", { colspan: 5 }, "No alert rules yet.")));
        }
        toast(`Alert rule “${row.dataset.rule}” deleted.`);
      } else if (event.target.closest("[data-pause-rule]")) {
        const button = event.target.closest("[data-pause-rule]");
        const badge = $(".rule-status", row);
        const pause = button.textContent === "Pause";
        button.textContent = pause ? "Resume" : "Pause";
        badge.textContent = pause ? "Paused" : "Active";
        badge.className = pause ? "badge rule-status" : "badge success rule-status";
        toast(`Alert rule “${row.dataset.rule}” ${pause ? "paused" : "resumed"}.`);
      }
    });
  }

  initDashboard();
  initBilling();
  initTeam();
  initApiKeys();
  initSlack();
})();
