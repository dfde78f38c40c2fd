// The agent inbox: one page, live over /agent/ws (frames in docs/inbox.md).
// It runs under a strict CSP (no inline script, style or handler), and text from the network
// only ever reaches the DOM through textContent or DOM construction, never as markup.
"use strict";

(() => {
  const TITLE = "Pageguide inbox";
  const RECONNECT_MIN_MS = 1000;
  const RECONNECT_MAX_MS = 30000; // a restarting server is back well within this
  const FRESH_MS = 120000; // how long a new handoff stays highlighted if nobody opens it
  const CLOSED_SHOWN = 20;
  const TIMELINE_MAX = 200; // a busy page must not grow the DOM without bound
  const OPEN_STATUSES = new Set(["queued", "assigned"]);
  const ROLE_LABELS = { user: "Visitor", agent: "Agent", system: "System", assistant: "Assistant" };
  const LABELS = {
    asked_for_human: "Asked for a person",
    low_confidence: "Low answer confidence",
    thumbs_down: "Thumbs down",
    repeated_struggle: "Repeated struggle",
    rage_click: "Rage clicks",
    dead_click: "Dead clicks",
    http_error: "Request failed",
    returned: "Handed back to the assistant",
    id: "ID",
    user_id: "User ID",
    mrr: "MRR",
    url: "URL",
  };

  const byId = (id) => document.getElementById(id);
  const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content ?? "";

  const state = {
    me: { id: null, name: meta("agent-name"), email: "" },
    csrf: meta("csrf-token"),
    handoffs: new Map(), // id -> summary
    deadLetters: [],
    loaded: false, // a first queue arrived: later unknown handoffs count as new
    fresh: new Map(), // id -> when it arrived, for the highlight
    unread: new Set(), // conversations with a visitor message not yet looked at
    drafts: new Map(), // id -> unsent reply text, kept while switching conversations
    selected: null,
    current: null, // the open conversation's handoff summary
    claiming: null,
    pendingReply: null, // restored into the box if the server refuses it
    socket: null,
    connected: false,
    attempts: 0,
    retryTimer: 0,
    learning: {
      view: null, // "drafts" | "flags" while the Learning area is shown
      drafts: [],
      flags: [],
      draftId: null, // the draft in the edit form
      answers: new Map(), // handoff id -> its session's assistant answers (with ids)
      refreshTimer: 0,
    },
  };

  let ui = {};

  // ------------------------------------------------------------------ small helpers

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value == null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = String(value);
      else if (key === "data") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child == null || child === false || child === "") continue;
      node.append(child instanceof Node ? child : String(child)); // strings become text nodes
    }
    return node;
  }

  // The server writes datetimes with str(): "2025-01-02 10:00:00.123456", and without an offset
  // when the database (SQLite) drops it. Those are UTC, so read them as UTC, not local time.
  function parseTime(value) {
    if (value == null || value === "") return null;
    if (typeof value === "number") return new Date(value < 1e12 ? value * 1000 : value);
    let text = String(value).trim().replace(" ", "T").replace(/(\.\d{3})\d+/, "$1");
    if (/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) text += "Z";
    const date = new Date(text);
    return Number.isNaN(date.getTime()) ? null : date;
  }

  function age(date) {
    if (!date) return "";
    const seconds = Math.max(0, (Date.now() - date.getTime()) / 1000);
    if (seconds < 45) return "just now";
    if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)} h`;
    return `${Math.floor(seconds / 86400)} d`;
  }

  const clock = (date) =>
    date ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "";

  function timeEl(value, className = "time") {
    const date = parseTime(value);
    if (!date) return null;
    return el("time", { class: className, datetime: date.toISOString(), title: date.toLocaleString(), text: clock(date) });
  }

  const label = (kind) => {
    const key = String(kind ?? "");
    const words = key.replace(/[_-]+/g, " ").trim();
    return LABELS[key] ?? (words.charAt(0).toUpperCase() + words.slice(1));
  };

  const isEmpty = (v) =>
    v == null || v === "" || (Array.isArray(v) && !v.length) || (typeof v === "object" && !Array.isArray(v) && !Object.keys(v).length);

  const agentName = (agent) => (agent && typeof agent === "object" ? agent.name : agent) ?? null;

  function isMe(agent) {
    if (agent == null) return false;
    if (typeof agent === "object" && agent.id != null && state.me.id != null) return agent.id === state.me.id;
    return agentName(agent) === state.me.name;
  }

  // Links from the network open only if they are http(s) or this server's own paths.
  const safeUrl = (url) => (typeof url === "string" && /^(https?:\/\/|\/(?!\/))/i.test(url) ? url : null);

  function announce(text) {
    ui.announcer.textContent = "";
    setTimeout(() => (ui.announcer.textContent = text), 50); // a change, so it is read again
  }

  function showError(text) {
    clearTimeout(showError.timer);
    ui.toast.replaceChildren(
      el("span", { text }),
      el("button", { type: "button", class: "button button-small", "aria-label": "Dismiss" }, "×"),
    );
    ui.toast.classList.add("is-visible");
    showError.timer = setTimeout(hideError, 8000);
  }

  function hideError() {
    ui.toast.classList.remove("is-visible");
    ui.toast.replaceChildren();
  }

  // ------------------------------------------------------------------ the socket

  function connect() {
    clearTimeout(state.retryTimer);
    if (state.socket && state.socket.readyState <= WebSocket.OPEN) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    setConnection("connecting", state.attempts ? "Reconnecting…" : "Connecting…");
    const socket = new WebSocket(scheme + location.host + "/agent/ws");
    state.socket = socket;
    socket.addEventListener("message", (event) => onMessage(event.data));
    socket.addEventListener("close", (event) => onClose(socket, event));
  }

  function onClose(socket, event) {
    if (socket !== state.socket) return; // an older socket we already replaced
    state.socket = null;
    state.connected = false;
    state.claiming = null;
    updateControls();
    if (event.code === 1008) {
      setConnection("offline", `Disconnected: ${event.reason || "the server refused this connection"}.`);
      checkSignedIn(false);
      return;
    }
    checkSignedIn(true);
  }

  // A refused handshake looks like any dropped connection; ask the page itself whether the
  // login expired, so we send the agent to sign in instead of retrying forever.
  async function checkSignedIn(retry) {
    try {
      const res = await fetch("/inbox", { redirect: "manual", credentials: "same-origin", cache: "no-store" });
      if (res.type === "opaqueredirect" || res.status === 401 || res.status === 403) {
        setConnection("signed-out", "Your sign-in has expired.");
        return;
      }
    } catch {
      // offline: keep retrying below
    }
    if (retry) scheduleReconnect();
  }

  function scheduleReconnect() {
    const base = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** state.attempts);
    const delay = Math.round(base / 2 + (Math.random() * base) / 2); // jitter: agents do not stampede
    state.attempts += 1;
    setConnection("offline", `Connection lost. Retrying in ${Math.ceil(delay / 1000)} s.`);
    state.retryTimer = setTimeout(connect, delay);
  }

  function setConnection(status, text) {
    ui.connection.dataset.state = status;
    ui.connectionText.textContent = text;
    ui.reconnect.hidden = status !== "offline";
    ui.signInAgain.hidden = status !== "signed-out";
  }

  function send(frame) {
    if (!state.socket || state.socket.readyState !== WebSocket.OPEN || !state.connected) {
      showError("Not connected. Try again when the connection is back.");
      return false;
    }
    state.socket.send(JSON.stringify(frame));
    return true;
  }

  function onMessage(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      console.warn("pageguide inbox: a frame that is not JSON");
      return;
    }
    const handler = HANDLERS[frame?.type];
    if (handler) handler(frame);
    else console.warn("pageguide inbox: unknown frame", frame?.type);
  }

  // ------------------------------------------------------------------ frames from the server

  const HANDLERS = {
    hello(frame) {
      state.me = { ...state.me, ...(frame.agent || {}) };
      state.connected = true;
      state.attempts = 0;
      ui.agentName.textContent = state.me.name || "";
      setConnection("live", "Live");
      refreshLearning(); // counts may have changed while we were away
      if (state.selected) send({ type: "open", handoff_id: state.selected }); // resume live updates
      updateControls();
    },

    queue(frame) {
      const known = state.handoffs;
      state.handoffs = new Map((frame.handoffs || []).map((h) => [h.id, h]));
      for (const h of state.handoffs.values()) {
        if (state.loaded && !known.has(h.id) && h.status === "queued") state.fresh.set(h.id, Date.now());
      }
      state.deadLetters = frame.dead_letters || [];
      renderSidebar();
      if (!state.loaded) {
        state.loaded = true;
        selectFromHash();
      } else if (state.selected && state.handoffs.has(state.selected)) {
        setCurrent(state.handoffs.get(state.selected));
      }
    },

    handoff(frame) {
      const h = frame.handoff;
      if (!h?.id) return;
      const before = state.handoffs.get(h.id);
      state.handoffs.set(h.id, h);
      if (!before && h.status === "queued") {
        state.fresh.set(h.id, Date.now());
        announce(`New conversation waiting: ${h.path || "unknown page"}`);
      }
      if (h.status !== "queued") state.fresh.delete(h.id);
      renderSidebar();
      if (h.id === state.selected) setCurrent(h);
      if (h.status === "closed") scheduleLearningRefresh(); // a resolution note may be a draft now
    },

    claimed(frame) {
      const h = state.handoffs.get(frame.handoff_id);
      if (!h) return;
      Object.assign(h, { status: "assigned", agent: agentName(frame.agent), position: null });
      state.fresh.delete(h.id);
      if (state.claiming === h.id) state.claiming = null;
      renderSidebar();
      if (h.id !== state.selected) return;
      // The Claim button was disabled, then hidden, under the agent's focus: move it on to Reply.
      const focusLost = [ui.claim, document.body, null].includes(document.activeElement);
      setCurrent(h);
      if (isMe(frame.agent)) {
        announce("You claimed this conversation.");
        if (focusLost) ui.reply.focus();
      }
    },

    conversation(frame) {
      const h = frame.handoff;
      if (!h || h.id !== state.selected) return; // the agent has moved on meanwhile
      state.handoffs.set(h.id, h);
      renderPacket(frame.packet || {}, frame.markdown || "", h);
      decorateAnswers(h.id);
      renderThread(frame.messages || []);
      setCurrent(h);
      renderSidebar();
    },

    message(frame) {
      const message = frame.message || {};
      if (message.role === "agent" && message.author === state.me.name) state.pendingReply = null;
      if (frame.handoff_id === state.selected) {
        appendMessage(message);
      } else if (message.role === "user") {
        state.unread.add(frame.handoff_id);
        renderSidebar();
      }
    },

    session_update(frame) {
      if (frame.handoff_id === state.selected) appendUpdate(frame.kind, frame.data);
    },

    // Drafts or flags changed (anyone's action): new counts, and fresh lists if shown.
    learning(frame) {
      setLearningCounts(frame);
      if (state.learning.view) loadLearningView(state.learning.view, false);
    },

    error(frame) {
      state.claiming = null;
      const text = frame.code === "already_claimed" ? "Another agent claimed this conversation first." : frame.message || frame.code || "Something went wrong.";
      showError(text);
      if (state.pendingReply && !ui.reply.value) ui.reply.value = state.pendingReply; // do not lose what was typed
      state.pendingReply = null;
      updateControls();
    },
  };

  // ------------------------------------------------------------------ the sidebar lists

  const created = (h) => parseTime(h.created_at)?.getTime() ?? 0;
  const oldestFirst = (a, b) => created(a) - created(b);
  const queued = () => [...state.handoffs.values()].filter((h) => h.status === "queued").sort(oldestFirst);

  function renderSidebar() {
    const all = [...state.handoffs.values()];
    const assigned = all.filter((h) => h.status === "assigned").sort(oldestFirst);
    const waiting = queued();
    const closed = all.filter((h) => !OPEN_STATUSES.has(h.status)).sort((a, b) => oldestFirst(b, a));
    const focused = document.activeElement?.closest?.("[data-handoff-id]")?.dataset.handoffId;

    fillList("queue", waiting.map((h, i) => handoffItem(h, i + 1)));
    fillList("mine", assigned.filter((h) => isMe(h.agent)).map((h) => handoffItem(h)));
    fillList("others", assigned.filter((h) => !isMe(h.agent)).map((h) => handoffItem(h)));
    fillList("closed", closed.slice(0, CLOSED_SHOWN).map((h) => handoffItem(h)));
    fillList("dead-letters", state.deadLetters.map(deadLetterItem));

    // Lists are rebuilt, so put the keyboard focus back on the same conversation.
    if (focused) document.querySelector(`.sidebar [data-handoff-id="${CSS.escape(focused)}"] button`)?.focus();
    document.title = waiting.length ? `(${waiting.length}) ${TITLE}` : TITLE;
  }

  function fillList(id, items) {
    byId(id).replaceChildren(...items);
    const count = byId(`${id}-count`);
    if (count) count.textContent = String(items.length);
    const empty = document.querySelector(`[data-empty-for="${id}"]`);
    if (empty) empty.hidden = items.length > 0;
  }

  function handoffItem(h, position) {
    const classes = ["handoff"];
    if (state.fresh.has(h.id)) classes.push("is-new");
    if (state.unread.has(h.id)) classes.push("has-unread");
    if (h.id === state.selected) classes.push("is-selected");
    const createdAt = parseTime(h.created_at);
    const reason = h.reason || h.summary || "";
    const button = el(
      "button",
      { type: "button", class: "handoff-button", "aria-current": h.id === state.selected ? "true" : null },
      el(
        "span",
        { class: "handoff-top" },
        position && el("span", { class: "position" }, el("span", { class: "visually-hidden", text: "Position " }), `#${position}`),
        el("span", { class: "handoff-path", text: h.path || "(unknown page)" }),
        createdAt && el("span", { class: "age", data: { created: createdAt.toISOString() }, text: age(createdAt) }),
      ),
      reason && el("span", { class: "handoff-reason", text: reason }),
      chips(h.triggers),
      h.status === "assigned" && !isMe(h.agent) && el("span", { class: "handoff-note", text: `Assigned to ${agentName(h.agent) || "another agent"}` }),
      !OPEN_STATUSES.has(h.status) && el("span", { class: "handoff-note", text: label(h.status) }),
      state.fresh.has(h.id) && el("span", { class: "badge", text: "New" }),
      state.unread.has(h.id) && el("span", { class: "badge", text: "New message" }),
    );
    button.addEventListener("click", () => select(h.id));
    return el("li", { class: classes.join(" "), data: { handoffId: h.id, status: h.status || "" } }, button);
  }

  function chips(triggers) {
    if (!Array.isArray(triggers) || !triggers.length) return null;
    const kinds = [...new Set(triggers.map((t) => (t && typeof t === "object" ? t.kind : t)).filter(Boolean))];
    return el("span", { class: "chips" }, kinds.map((kind) => el("span", { class: "chip", data: { kind: String(kind) }, text: label(kind) })));
  }

  function deadLetterItem(letter) {
    const id = String(letter.id);
    const describedBy = `dead-letter-${id.replace(/[^\w-]/g, "_")}`;
    const when = parseTime(letter.created_at);
    return el(
      "li",
      { class: "dead-letter", data: { deadLetterId: id } },
      el(
        "p",
        { class: "dead-letter-head", id: describedBy },
        el("strong", { text: letter.channel || "channel" }),
        ` · ${letter.attempts ?? 0} attempt${letter.attempts === 1 ? "" : "s"}`,
        when && ` · ${age(when)}`,
      ),
      letter.last_error && el("p", { class: "dead-letter-error", text: letter.last_error }),
      el(
        "form",
        { method: "post", action: `/inbox/dead-letters/${encodeURIComponent(id)}/retry` },
        el("input", { type: "hidden", name: "csrf", value: state.csrf }),
        el("button", { type: "submit", class: "button button-small", "aria-describedby": describedBy }, "Retry"),
      ),
    );
  }

  // ------------------------------------------------------------------ the open conversation

  function select(id) {
    const h = state.handoffs.get(id);
    if (!h) return;
    if (state.selected && state.selected !== id) saveDraft();
    hideLearning();
    state.selected = id;
    state.fresh.delete(id);
    state.unread.delete(id);
    ui.noSelection.hidden = true;
    ui.conversation.hidden = false;
    ui.packet.replaceChildren(el("p", { class: "loading", text: "Loading the handoff packet…" }));
    renderThread([]);
    fillList("timeline", []);
    ui.reply.value = state.drafts.get(id) || "";
    hideCloseForm();
    ui.closeForm.reset();
    setCurrent(h);
    renderSidebar();
    history.replaceState(null, "", `#handoff=${encodeURIComponent(id)}`);
    if (state.connected) send({ type: "open", handoff_id: id });
  }

  // "#handoff=<id>" keeps the open conversation across a reload and makes it linkable.
  function selectFromHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    if (params.has("learning")) {
      const view = params.get("learning") === "flags" ? "flags" : "drafts";
      if (view !== state.learning.view) openLearning(view);
      return;
    }
    const wanted = params.get("handoff");
    if (wanted && wanted !== state.selected && state.handoffs.has(wanted)) select(wanted);
  }

  function saveDraft() {
    if (ui.reply.value.trim()) state.drafts.set(state.selected, ui.reply.value);
    else state.drafts.delete(state.selected);
  }

  const current = () => state.current;

  function setCurrent(h) {
    state.current = h;
    const createdAt = parseTime(h.created_at);
    ui.title.textContent = h.path || "Conversation";
    ui.meta.textContent = [label(h.status || "unknown"), h.site_key && `site ${h.site_key}`, createdAt && `started ${clock(createdAt)} (${age(createdAt)} ago)`]
      .filter(Boolean)
      .join(" · ");
    ui.claimStatus.textContent = claimText(h);
    updateControls();
  }

  function claimText(h) {
    if (h.status === "queued") {
      const position = queued().findIndex((q) => q.id === h.id) + 1 || h.position;
      return position ? `Waiting · position ${position} in the queue` : "Waiting for an agent";
    }
    if (h.status === "assigned") return isMe(h.agent) ? "You have this conversation" : `Claimed by ${agentName(h.agent) || "another agent"}`;
    if (h.status === "returned") return "Handed back to the assistant";
    if (h.status === "closed") return "Closed";
    return label(h.status);
  }

  // Which actions are possible follows from the status, who holds it, and the connection.
  function updateControls() {
    const h = current();
    if (!h) return;
    const mine = h.status === "assigned" && isMe(h.agent);
    const live = state.connected;
    ui.claim.hidden = mine;
    ui.claim.disabled = !live || h.status !== "queued" || state.claiming === h.id;
    ui.handBack.disabled = !(mine && live);
    ui.closeToggle.disabled = !(mine && live);
    ui.reply.disabled = !mine; // drafting stays possible while the connection is down
    ui.send.disabled = !(mine && live);
    ui.replyHint.textContent = mine
      ? live ? "Enter sends · Shift+Enter adds a line" : "Offline: your reply will wait here."
      : "Claim this conversation to reply.";
    if (!mine) hideCloseForm();
  }

  // ------------------------------------------------------------------ the handoff packet

  // The packet's fields are read by name where we know them and shown generically otherwise,
  // so a field added on the server still reaches the agent.
  function renderPacket(packet, markdown, h) {
    const used = new Set();
    const take = (...keys) => {
      for (const key of keys) {
        if (!isEmpty(packet[key])) {
          used.add(key);
          return packet[key];
        }
      }
      keys.forEach((key) => used.add(key));
      return null;
    };
    const parts = [];
    const summary = take("summary") ?? h.summary;
    if (summary) parts.push(el("p", { class: "packet-summary", text: typeof summary === "string" ? summary : JSON.stringify(summary) }));

    const triggers = take("triggers") ?? h.triggers;
    const reason = take("reason") ?? h.reason;
    if (!isEmpty(triggers) || reason) {
      const detailed = Array.isArray(triggers) && triggers.some((t) => t && typeof t === "object");
      parts.push(section("Why it was handed over", reason && el("p", { text: reason }), detailed ? triggerDetails(triggers) : chips(triggers)));
    }

    const visitor = take("visitor", "user", "identity");
    const account = take("account", "verified_account") ?? (visitor && typeof visitor === "object" ? visitor.account : null);
    const visitorFields = visitor && typeof visitor === "object" ? { ...visitor, account: undefined } : visitor;
    if (!isEmpty(visitorFields)) parts.push(section("Visitor", renderValue(visitorFields)));
    if (!isEmpty(account)) parts.push(section("Verified account", renderValue(account)));

    const page = take("page", "current_page");
    if (page) parts.push(section("Current page", pageView(page)));
    const trail = take("trail", "page_trail", "pages");
    if (Array.isArray(trail)) parts.push(section("Page trail", listOf(trail, trailItem, "trail")));
    const signals = take("signals", "struggle_signals", "struggle");
    if (Array.isArray(signals)) parts.push(section("Struggle signals", listOf(signals, signalItem, "signals")));
    const errors = take("errors");
    if (Array.isArray(errors)) parts.push(section("Errors", listOf(errors, errorItem, "errors")));
    const articles = take("articles_shown", "articles", "sources");
    if (Array.isArray(articles)) parts.push(section("Articles already shown", listOf(articles, articleItem, "articles")));
    const transcript = take("transcript", "conversation", "messages", "turns");
    if (Array.isArray(transcript)) {
      parts.push(section("Transcript", listOf(transcript, (m) => messageItem(m, "transcript-item"), "transcript")));
    }

    const rest = Object.fromEntries(Object.entries(packet).filter(([k, v]) => !used.has(k) && !isEmpty(v)));
    if (!isEmpty(rest)) parts.push(section("More details", renderValue(rest)));
    if (markdown) parts.push(markdownBlock(markdown));
    if (!parts.length) parts.push(el("p", { class: "empty-note", text: "This handoff has no packet." }));
    ui.packet.replaceChildren(...parts);
  }

  function section(title, ...content) {
    return el("section", { class: "packet-section" }, el("h4", { text: title }), content);
  }

  function listOf(items, render, name) {
    return el("ol", { class: `packet-list packet-${name}` }, items.map((item) => render(item)));
  }

  function triggerDetails(triggers) {
    return listOf(triggers, (t) => {
      if (!t || typeof t !== "object") return el("li", { text: label(t) });
      const score = typeof t.score === "number" ? `score ${t.score.toFixed(2)}` : null;
      const detail = t.detail ?? t.evidence ?? t.matched ?? t.text ?? t.summary;
      return el("li", { text: [label(t.kind), t.source, score, typeof detail === "string" ? detail : null].filter(Boolean).join(" · ") });
    }, "triggers");
  }

  function pageView(page) {
    if (typeof page !== "object") return el("p", { text: String(page) });
    const url = safeUrl(page.url);
    return el(
      "div",
      { class: "page-view" },
      page.title && el("p", { class: "page-title", text: page.title }),
      url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: page.path || url }) : el("p", { class: "mono", text: page.path || page.url || "" }),
      !isEmpty(page.form_errors) && el("p", { class: "warn", text: `Form errors: ${[].concat(page.form_errors).map(textOf).join("; ")}` }),
    );
  }

  function trailItem(entry) {
    if (typeof entry !== "object" || !entry) return el("li", { class: "mono", text: String(entry) });
    return el("li", {}, timeEl(entry.at ?? entry.time ?? entry.entered_at), " ", el("span", { class: "mono", text: entry.path || entry.url || "" }), entry.title && el("span", { class: "muted", text: ` — ${entry.title}` }));
  }

  function signalItem(signal) {
    if (typeof signal !== "object" || !signal) return el("li", { text: String(signal) });
    return el("li", {}, timeEl(signal.at ?? signal.at_ms), " ", el("span", { class: "chip", data: { kind: String(signal.kind || "") }, text: label(signal.kind) }), " ", signal.summary || signal.reason || "", signal.page_path && el("span", { class: "muted mono", text: ` on ${signal.page_path}` }));
  }

  function errorItem(error) {
    if (typeof error !== "object" || !error) return el("li", { text: String(error) });
    return el("li", {}, timeEl(error.at ?? error.t), " ", describeEvent(error));
  }

  function articleItem(article) {
    if (typeof article !== "object" || !article) return el("li", { text: String(article) });
    const url = safeUrl(article.url);
    const title = article.title || article.slug || article.url || "Article";
    return el("li", {}, url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: title }) : title, article.section && el("span", { class: "muted", text: ` · ${article.section}` }));
  }

  const textOf = (v) => (v && typeof v === "object" ? v.message ?? v.text ?? JSON.stringify(v) : String(v));

  function renderValue(value) {
    if (value == null || typeof value !== "object") return el("span", { text: String(value ?? "") });
    if (Array.isArray(value)) {
      if (value.every((v) => v == null || typeof v !== "object")) return el("span", { text: value.join(", ") });
      return el("ul", { class: "packet-list" }, value.map((v) => el("li", {}, renderValue(v))));
    }
    const dl = el("dl", { class: "fields" });
    for (const [key, v] of Object.entries(value)) {
      if (isEmpty(v)) continue;
      dl.append(el("dt", { text: label(key) }), el("dd", {}, renderValue(v)));
    }
    return dl;
  }

  function markdownBlock(markdown) {
    const copy = el("button", { type: "button", class: "button button-small" }, "Copy as Markdown");
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(markdown);
        announce("Packet copied.");
      } catch {
        showError("Could not copy. Select the text below instead.");
      }
    });
    return el("details", { class: "packet-markdown" }, el("summary", { text: "Packet as Markdown" }), copy, el("pre", { text: markdown }));
  }

  // ------------------------------------------------------------------ live session timeline

  function appendUpdate(kind, data) {
    const nearBottom = isNearBottom(ui.timeline);
    for (const item of updateItems(kind, data ?? {})) ui.timeline.append(item);
    while (ui.timeline.children.length > TIMELINE_MAX) ui.timeline.firstElementChild.remove();
    const empty = document.querySelector('[data-empty-for="timeline"]');
    if (empty) empty.hidden = ui.timeline.children.length > 0;
    if (nearBottom) ui.timeline.scrollTop = ui.timeline.scrollHeight;
  }

  function updateItems(kind, data) {
    const now = el("time", { class: "time", datetime: new Date().toISOString(), text: clock(new Date()) });
    const item = (text, extra) => el("li", { class: "timeline-item", data: { kind: String(kind) } }, now.cloneNode(true), " ", el("span", { class: "timeline-kind", text: extra }), " ", text);
    if (kind === "page") {
      return [item(el("span", {}, el("span", { class: "mono", text: data.path || data.url || "" }), data.title && el("span", { class: "muted", text: ` — ${data.title}` })), "Page")];
    }
    if (kind === "signal") {
      return [item(el("span", {}, el("span", { class: "chip", data: { kind: String(data.kind || "") }, text: label(data.kind) }), " ", data.summary || data.reason || ""), "Signal")];
    }
    if (kind === "events") {
      const events = Array.isArray(data) ? data : data.events || [];
      const texts = collapse(events.map(describeEventText));
      return texts.length ? [item(el("span", { class: "events", text: texts.join(" · ") }), "Activity")] : [];
    }
    return [item(el("span", { text: JSON.stringify(data) }), label(kind))];
  }

  // "Typing", "Typing", "Typing" reads better as one "Typing ×3".
  function collapse(texts) {
    const out = [];
    for (const text of texts) {
      const last = out[out.length - 1];
      if (last && last.text === text) last.count += 1;
      else out.push({ text, count: 1 });
    }
    return out.map(({ text, count }) => (count > 1 ? `${text} ×${count}` : text));
  }

  function describeEvent(event) {
    return el("span", { text: describeEventText(event) });
  }

  function describeEventText(event) {
    const d = event?.data || {};
    const target = event?.target || {};
    switch (event?.kind) {
      case "click": {
        const what = target.text || target.selector || "the page";
        return `Clicked “${what}”${d.effect === "none" ? " (nothing happened)" : ""}`;
      }
      case "invalid": return `Invalid${d.field ? ` ${d.field}` : ""}: ${d.message || ""}`;
      case "http_error": return `${d.method || "Request"} ${d.path || ""} failed (${d.status ?? "?"})`;
      case "error": return `Error: ${d.message || event.message || ""}`;
      case "navigate": return `${d.from || "?"} → ${d.to || "?"}`;
      case "submit": return "Submitted a form";
      case "input": return "Typing";
      case "visibility": return d.state === "hidden" ? "Left the tab" : "Came back to the tab";
      case "widget_open": return "Opened the assistant";
      case "widget_close": return "Closed the assistant";
      case "ask": return "Asked the assistant";
      default: return event?.message || label(event?.kind || "event");
    }
  }

  // ------------------------------------------------------------------ the message thread

  function messageItem(message, className = "message") {
    const role = String(message?.role || "system");
    return el(
      "li",
      { class: className, data: { role } },
      el("p", { class: "message-meta" }, el("span", { class: "message-author", text: message?.author || ROLE_LABELS[role] || label(role) }), " ", timeEl(message?.at)),
      el("p", { class: "message-text", text: String(message?.text ?? "") }),
    );
  }

  function renderThread(messages) {
    ui.thread.setAttribute("aria-busy", "true"); // a whole history is not read out as new
    ui.thread.replaceChildren(...messages.map((m) => messageItem(m)));
    ui.thread.scrollTop = ui.thread.scrollHeight;
    ui.thread.setAttribute("aria-busy", "false");
  }

  function appendMessage(message) {
    const stick = isNearBottom(ui.thread) || message.role === "agent";
    ui.thread.append(messageItem(message));
    if (stick) ui.thread.scrollTop = ui.thread.scrollHeight;
  }

  const isNearBottom = (box) => box.scrollHeight - box.scrollTop - box.clientHeight < 48;

  // ------------------------------------------------------------------ the agent's actions

  function claim() {
    const h = current();
    if (!h || !send({ type: "claim", handoff_id: h.id })) return;
    state.claiming = h.id;
    updateControls();
  }

  function reply(event) {
    event.preventDefault();
    const h = current();
    const text = ui.reply.value.trim();
    if (!h || !text || ui.send.disabled) return;
    if (!send({ type: "reply", handoff_id: h.id, text })) return;
    state.pendingReply = text;
    state.drafts.delete(h.id);
    ui.reply.value = "";
  }

  // Enter sends and Shift+Enter adds a line, as in chat apps; an IME composition is left alone.
  function replyKeys(event) {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    ui.replyForm.requestSubmit();
  }

  function handBack() {
    const h = current();
    if (h && send({ type: "hand_back", handoff_id: h.id })) announce("Handed back to the assistant.");
  }

  function toggleCloseForm() {
    if (ui.closeForm.hidden) {
      ui.closeForm.hidden = false;
      ui.closeToggle.setAttribute("aria-expanded", "true");
      ui.closeForm.elements.note.focus();
    } else {
      hideCloseForm();
    }
  }

  function hideCloseForm() {
    if (ui.closeForm.hidden) return;
    const hadFocus = ui.closeForm.contains(document.activeElement);
    ui.closeForm.hidden = true;
    ui.closeToggle.setAttribute("aria-expanded", "false");
    if (hadFocus && !ui.closeToggle.disabled) ui.closeToggle.focus();
  }

  function closeConversation(event) {
    event.preventDefault();
    const h = current();
    const f = ui.closeForm.elements;
    const tags = { issue_type: f.issue_type.value.trim(), root_cause: f.root_cause.value.trim(), resolution_path: f.resolution_path.value.trim() };
    if (!h || !send({ type: "close", handoff_id: h.id, note: f.note.value.trim(), tags })) return;
    hideCloseForm();
    ui.closeForm.reset();
    announce("Conversation closed.");
  }

  // ------------------------------------------------------------------ the learning loop
  // Drafts from resolutions and flagged answers, over /inbox/api (inbox/review.py). Writes
  // carry the login's CSRF token in X-CSRF-Token.

  async function api(method, path, body) {
    const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRF-Token"] = state.csrf;
      options.body = JSON.stringify(body ?? {});
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch {
      throw new Error("The server could not be reached. Try again in a moment.");
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (response.status === 401) checkSignedIn(false);
    if (!response.ok) throw new Error(data?.message || `The server said ${response.status}.`);
    return data ?? {};
  }

  function setLearningCounts(counts) {
    if (typeof counts?.drafts === "number") ui.draftsCount.textContent = String(counts.drafts);
    if (typeof counts?.flags === "number") ui.flagsCount.textContent = String(counts.flags);
  }

  async function refreshLearning() {
    try {
      setLearningCounts(await api("GET", "/inbox/api/learning"));
    } catch {
      // the counts are a convenience; the lists load (and report errors) when opened
    }
  }

  function scheduleLearningRefresh() {
    clearTimeout(state.learning.refreshTimer);
    state.learning.refreshTimer = setTimeout(() => {
      refreshLearning();
      if (state.learning.view === "drafts") loadLearningView("drafts", false);
    }, 400);
  }

  function openLearning(view) {
    if (state.selected) saveDraft();
    state.selected = null;
    state.current = null;
    state.learning.view = view;
    ui.noSelection.hidden = true;
    ui.conversation.hidden = true;
    ui.draftsView.hidden = view !== "drafts";
    ui.flagsView.hidden = view !== "flags";
    for (const button of [ui.openDrafts, ui.openFlags]) {
      button.setAttribute("aria-current", button.dataset.view === view ? "page" : "false");
    }
    renderSidebar();
    history.replaceState(null, "", `#learning=${view}`);
    loadLearningView(view, true);
  }

  function hideLearning() {
    if (!state.learning.view) return;
    state.learning.view = null;
    ui.draftsView.hidden = true;
    ui.flagsView.hidden = true;
    ui.openDrafts.setAttribute("aria-current", "false");
    ui.openFlags.setAttribute("aria-current", "false");
  }

  async function loadLearningView(view, focus) {
    const list = view === "drafts" ? ui.drafts : ui.flags;
    if (!list.children.length) list.replaceChildren(el("li", { class: "loading", text: "Loading…" }));
    try {
      if (view === "drafts") {
        const { drafts = [] } = await api("GET", "/inbox/api/drafts?status=draft");
        state.learning.drafts = drafts;
        renderDrafts();
      } else {
        const { flags = [] } = await api("GET", "/inbox/api/flags?status=open");
        state.learning.flags = flags;
        renderFlags();
      }
      if (focus) (view === "drafts" ? ui.draftsTitle : ui.flagsTitle).focus();
    } catch (error) {
      list.replaceChildren();
      showError(error.message);
    }
  }

  const ago = (date) => (age(date) === "just now" ? "just now" : `${age(date)} ago`);

  function fillLearningList(list, name, items) {
    list.replaceChildren(...items);
    const empty = document.querySelector(`[data-empty-for="${name}"]`);
    if (empty) empty.hidden = items.length > 0;
  }

  // ---- drafts

  function renderDrafts() {
    const drafts = state.learning.drafts;
    ui.draftsCount.textContent = String(drafts.length);
    fillLearningList(ui.drafts, "drafts", drafts.map(draftItem));
    const stillThere = drafts.some((d) => d.id === state.learning.draftId);
    if (!stillThere && !ui.draftForm.hidden && !ui.draftPublished.textContent) closeDraftForm();
  }

  function draftItem(draft) {
    const created = parseTime(draft.created_at);
    const selected = draft.id === state.learning.draftId;
    const button = el(
      "button",
      { type: "button", class: "draft-button", "aria-current": selected ? "true" : null },
      el("span", { class: "draft-title", text: draft.title || "(untitled)" }),
      el(
        "span",
        { class: "draft-meta" },
        (draft.pages || []).length ? el("span", { class: "mono", text: draft.pages.join(", ") }) : "every page",
        draft.created_by && ` · by ${draft.created_by}`,
        created && ` · ${ago(created)}`,
      ),
    );
    button.addEventListener("click", () => editDraft(draft.id));
    return el("li", { class: `draft${selected ? " is-selected" : ""}`, data: { draftId: String(draft.id) } }, button);
  }

  function editDraft(id) {
    const draft = state.learning.drafts.find((d) => d.id === id);
    if (!draft) return;
    state.learning.draftId = id;
    const f = ui.draftForm.elements;
    f.title.value = draft.title || "";
    f.pages.value = (draft.pages || []).join(", ");
    f.body.value = draft.body || "";
    ui.draftSource.replaceChildren(
      draft.handoff_id
        ? el("span", {}, "From the resolution of ", el("a", { href: `#handoff=${encodeURIComponent(draft.handoff_id)}`, text: "a conversation" }), draft.created_by ? ` closed by ${draft.created_by}.` : ".")
        : el("span", { text: `From a corrected answer${draft.created_by ? ` (${draft.created_by})` : ""}.` }),
    );
    ui.draftError.textContent = "";
    ui.draftPublished.replaceChildren();
    resetReject();
    setDraftBusy(false);
    setDraftLocked(false);
    ui.draftForm.hidden = false;
    renderDrafts();
    f.title.focus();
  }

  function closeDraftForm() {
    state.learning.draftId = null;
    ui.draftForm.hidden = true;
  }

  function draftEdits() {
    const f = ui.draftForm.elements;
    const pages = f.pages.value.split(/[\s,]+/).map((p) => p.trim()).filter(Boolean);
    return { title: f.title.value.trim(), pages, body: f.body.value };
  }

  // A published draft stays in view with its confirmation, read-only.
  function setDraftLocked(locked) {
    for (const field of [ui.draftForm.elements.title, ui.draftForm.elements.pages, ui.draftForm.elements.body]) field.readOnly = locked;
    ui.draftForm.querySelector(".form-buttons").hidden = locked;
  }

  function setDraftBusy(busy) {
    for (const button of [ui.draftPublish, ui.draftSave, ui.draftReject]) button.disabled = busy;
    ui.draftForm.setAttribute("aria-busy", busy ? "true" : "false");
  }

  async function draftAction(kind) {
    const id = state.learning.draftId;
    if (id == null) return;
    ui.draftError.textContent = "";
    setDraftBusy(true);
    try {
      if (kind === "save") {
        const { draft } = await api("POST", `/inbox/api/drafts/${id}`, draftEdits());
        state.learning.drafts = state.learning.drafts.map((d) => (d.id === id ? draft : d));
        renderDrafts();
        announce("Draft saved.");
      } else if (kind === "publish") {
        const { draft, article } = await api("POST", `/inbox/api/drafts/${id}/publish`, draftEdits());
        const url = safeUrl(article?.url);
        ui.draftPublished.replaceChildren(
          `Published “${draft.title}”. The assistant uses it from now on. `,
          url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: "Read the article" }) : "",
        );
        announce(`Published ${draft.title}.`);
        state.learning.drafts = state.learning.drafts.filter((d) => d.id !== id);
        state.learning.draftId = null;
        renderDrafts();
        ui.draftForm.hidden = false; // keep the confirmation in view until another draft is picked
        setDraftLocked(true);
        setDraftBusy(false);
        ui.draftPublished.focus();
        return;
      } else if (kind === "reject") {
        await api("POST", `/inbox/api/drafts/${id}/reject`, {});
        state.learning.drafts = state.learning.drafts.filter((d) => d.id !== id);
        closeDraftForm();
        renderDrafts();
        announce("Draft rejected.");
        ui.draftsTitle.focus();
      }
    } catch (error) {
      ui.draftError.textContent = error.message;
    }
    setDraftBusy(false);
  }

  // Rejecting takes a second press, so a slip of the mouse does not throw a draft away.
  function rejectDraft() {
    if (ui.draftReject.dataset.confirm === "yes") {
      resetReject();
      draftAction("reject");
      return;
    }
    ui.draftReject.dataset.confirm = "yes";
    ui.draftReject.textContent = "Press again to reject";
    clearTimeout(rejectDraft.timer);
    rejectDraft.timer = setTimeout(resetReject, 5000);
  }

  function resetReject() {
    clearTimeout(rejectDraft.timer);
    delete ui.draftReject.dataset.confirm;
    ui.draftReject.textContent = "Reject";
  }

  // ---- flagged answers

  function renderFlags() {
    const flags = state.learning.flags;
    ui.flagsCount.textContent = String(flags.length);
    fillLearningList(ui.flags, "flags", flags.map(flagItem));
  }

  function sourcesList(sources) {
    if (!Array.isArray(sources) || !sources.length) return el("p", { class: "muted", text: "No sources cited." });
    return el(
      "ul",
      { class: "source-list", "aria-label": "Sources" },
      el("li", { class: "muted", "aria-hidden": "true", text: "Sources:" }),
      sources.map((source) => {
        const url = safeUrl(source?.url);
        const name = source?.title || source?.url || "Article";
        return el("li", {}, url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: name }) : name);
      }),
    );
  }

  function flagItem(flag) {
    const answer = flag.answer || {};
    const when = parseTime(flag.created_at);
    const headingId = `flag-${flag.id}-q`;
    const resolve = el("button", { type: "button", class: "button button-small", "aria-describedby": headingId }, "Resolve");
    const makeDraft = el("button", { type: "button", class: "button button-small button-primary", "aria-describedby": headingId }, "Make draft");
    resolve.addEventListener("click", () => resolveFlag(flag.id, false, [resolve, makeDraft]));
    makeDraft.addEventListener("click", () => resolveFlag(flag.id, true, [resolve, makeDraft]));
    const confidence = typeof answer.confidence === "number" ? ` · confidence ${answer.confidence.toFixed(2)}` : "";
    return el(
      "li",
      { class: "flag", data: { flagId: String(flag.id) } },
      el("h3", { class: "flag-question", id: headingId }, el("span", { class: "visually-hidden", text: "Question: " }), flag.question || "(no question)"),
      el(
        "p",
        { class: "meta" },
        flag.page && el("span", { class: "mono", text: flag.page }),
        flag.page && " · ",
        `flagged by ${flag.agent || "an agent"}`,
        when && ` · ${ago(when)}`,
        confidence,
        flag.handoff_id && " · ",
        flag.handoff_id && el("a", { href: `#handoff=${encodeURIComponent(flag.handoff_id)}`, text: "Open conversation" }),
      ),
      el("div", { class: "flag-block flag-answer" }, el("h4", { text: "The assistant answered" }), el("p", { class: "message-text", text: answer.text || "" }), sourcesList(answer.sources)),
      el("div", { class: "flag-block flag-correction" }, el("h4", { text: "Correction" }), el("p", { class: "message-text", text: flag.correction || "" })),
      el("div", { class: "form-buttons" }, makeDraft, resolve),
    );
  }

  async function resolveFlag(id, asDraft, buttons) {
    buttons.forEach((b) => (b.disabled = true));
    try {
      const { draft } = await api("POST", `/inbox/api/flags/${id}/resolve`, { make_draft: asDraft });
      state.learning.flags = state.learning.flags.filter((f) => f.id !== id);
      renderFlags();
      if (draft) {
        announce("Flag resolved; its correction is now a draft.");
        openLearning("drafts");
        await loadLearningView("drafts", false);
        editDraft(draft.id);
      } else {
        announce("Flag resolved.");
        ui.flagsTitle.focus();
      }
    } catch (error) {
      buttons.forEach((b) => (b.disabled = false));
      showError(error.message);
    }
  }

  // ---- "Flag answer" on the assistant's messages in a conversation's transcript.
  // The packet's transcript carries no answer ids, so the session's answers are fetched and
  // matched to the assistant's messages by their text, in order.

  const answerKey = (text) => String(text ?? "").replace(/\s+/g, " ").trim().slice(0, 160);

  async function decorateAnswers(handoffId) {
    let answers;
    try {
      ({ answers = [] } = await api("GET", `/inbox/api/handoffs/${encodeURIComponent(handoffId)}/answers`));
    } catch {
      return; // flagging is an extra; the conversation itself is already shown
    }
    if (state.selected !== handoffId) return;
    state.learning.answers.set(handoffId, answers);
    const unused = answers.filter((a) => a.text);
    for (const item of ui.packet.querySelectorAll('.packet-transcript > li[data-role="assistant"]')) {
      const text = answerKey(item.querySelector(".message-text")?.textContent);
      if (!text) continue;
      const index = unused.findIndex((a) => answerKey(a.text) === text || answerKey(a.text).startsWith(text) || text.startsWith(answerKey(a.text)));
      if (index < 0) continue;
      const [answer] = unused.splice(index, 1);
      addFlagAction(item, answer);
    }
    // Answers outside the packet's transcript (after a hand-back, or beyond its last turns).
    const rest = unused.filter((a) => !ui.packet.querySelector(`[data-answer-id="${CSS.escape(a.id)}"]`));
    if (rest.length) {
      const items = rest.map((answer) => {
        const item = messageItem({ role: "assistant", author: "Assistant", text: answer.text, at: answer.at }, "transcript-item");
        if (answer.question) item.prepend(el("p", { class: "message-meta", text: `Asked: ${answer.question}` }));
        addFlagAction(item, answer);
        return item;
      });
      ui.packet.append(section("Assistant answers in this session", el("ol", { class: "packet-list packet-transcript" }, items)));
    }
  }

  function addFlagAction(item, answer) {
    item.dataset.answerId = answer.id;
    item.querySelector(".flag-answer-bar")?.remove();
    const bar = el("div", { class: "flag-answer-bar" });
    if (answer.flags > 0) {
      bar.append(el("span", { class: "badge flag-badge", text: "Flagged" }));
    } else {
      const button = el("button", { type: "button", class: "button button-small button-quiet flag-answer-button", "aria-expanded": "false" }, "Flag answer");
      button.addEventListener("click", () => toggleFlagForm(item, answer, button));
      bar.append(button);
    }
    item.append(bar);
  }

  function toggleFlagForm(item, answer, button) {
    const open = item.querySelector(".flag-form");
    if (open) {
      open.remove();
      button.setAttribute("aria-expanded", "false");
      return;
    }
    const fieldId = `flag-correction-${answer.id}`;
    const errorId = `${fieldId}-error`;
    const textarea = el("textarea", { id: fieldId, name: "correction", rows: "3", required: true, maxlength: "10000", "aria-describedby": errorId });
    const error = el("p", { class: "form-error", id: errorId, role: "alert" });
    const cancel = el("button", { type: "button", class: "button button-small button-quiet" }, "Cancel");
    const form = el(
      "form",
      { class: "flag-form" },
      el("label", { for: fieldId, text: "What is the right answer?" }),
      textarea,
      error,
      el("div", { class: "form-buttons" }, el("button", { type: "submit", class: "button button-small button-primary" }, "Flag as wrong"), cancel),
    );
    cancel.addEventListener("click", () => {
      form.remove();
      button.setAttribute("aria-expanded", "false");
      button.focus();
    });
    form.addEventListener("keydown", (e) => e.key === "Escape" && cancel.click());
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const correction = textarea.value.trim();
      if (!correction) {
        error.textContent = "Say what the right answer is.";
        textarea.focus();
        return;
      }
      form.querySelectorAll("button").forEach((b) => (b.disabled = true));
      try {
        await api("POST", `/inbox/api/answers/${encodeURIComponent(answer.id)}/flag`, { correction });
        form.remove();
        addFlagAction(item, { ...answer, flags: 1 });
        announce("Answer flagged for review.");
        refreshLearning();
      } catch (err) {
        error.textContent = err.message;
        form.querySelectorAll("button").forEach((b) => (b.disabled = false));
      }
    });
    item.append(form);
    button.setAttribute("aria-expanded", "true");
    textarea.focus();
  }

  // ------------------------------------------------------------------ start

  function tick() {
    for (const node of document.querySelectorAll(".age[data-created]")) node.textContent = age(new Date(node.dataset.created));
    const expired = [...state.fresh].filter(([, at]) => Date.now() - at > FRESH_MS);
    expired.forEach(([id]) => state.fresh.delete(id));
    if (expired.length) renderSidebar();
    if (current()) setCurrent(current()); // the header's "started … ago"
  }

  function init() {
    ui = {
      connection: byId("connection"), connectionText: byId("connection-text"), reconnect: byId("reconnect"),
      signInAgain: byId("sign-in-again"), agentName: byId("agent-name"), noSelection: byId("no-selection"),
      conversation: byId("conversation"), title: byId("conv-title"), meta: byId("conv-meta"),
      claimStatus: byId("claim-status"), claim: byId("claim"), handBack: byId("hand-back"),
      closeToggle: byId("close-toggle"), closeForm: byId("close-form"), packet: byId("packet"),
      timeline: byId("timeline"), thread: byId("thread"), replyForm: byId("reply-form"),
      reply: byId("reply"), replyHint: byId("reply-hint"), send: byId("send"),
      announcer: byId("announcer"), toast: byId("toast"),
      openDrafts: byId("open-drafts"), openFlags: byId("open-flags"), draftsCount: byId("drafts-count"),
      flagsCount: byId("flags-count"), draftsView: byId("drafts-view"), flagsView: byId("flags-view"),
      draftsTitle: byId("drafts-title"), flagsTitle: byId("flags-title"), drafts: byId("drafts"),
      flags: byId("flags"), draftForm: byId("draft-form"), draftSource: byId("draft-source"),
      draftError: byId("draft-error"), draftPublished: byId("draft-published"),
      draftPublish: byId("draft-publish"), draftSave: byId("draft-save"), draftReject: byId("draft-reject"),
    };
    ui.draftsTitle.tabIndex = -1;
    ui.flagsTitle.tabIndex = -1;
    ui.openDrafts.addEventListener("click", () => openLearning("drafts"));
    ui.openFlags.addEventListener("click", () => openLearning("flags"));
    ui.draftForm.addEventListener("submit", (e) => {
      e.preventDefault();
      draftAction("publish");
    });
    ui.draftSave.addEventListener("click", () => draftAction("save"));
    ui.draftReject.addEventListener("click", rejectDraft);
    ui.claim.addEventListener("click", claim);
    ui.handBack.addEventListener("click", handBack);
    ui.closeToggle.addEventListener("click", toggleCloseForm);
    byId("close-cancel").addEventListener("click", hideCloseForm);
    ui.closeForm.addEventListener("submit", closeConversation);
    ui.closeForm.addEventListener("keydown", (e) => e.key === "Escape" && hideCloseForm());
    ui.replyForm.addEventListener("submit", reply);
    ui.reply.addEventListener("keydown", replyKeys);
    ui.toast.addEventListener("click", (e) => e.target.closest("button") && hideError());
    ui.reconnect.addEventListener("click", () => {
      state.attempts = 0;
      connect();
    });
    // Come back at once when the network or the tab does, rather than waiting out the backoff.
    window.addEventListener("hashchange", selectFromHash);
    window.addEventListener("online", () => !state.socket && connect());
    document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && !state.socket && ui.connection.dataset.state === "offline" && connect());
    setInterval(tick, 30000);
    renderSidebar();
    connect();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
