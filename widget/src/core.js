// The core, imported by the loader once the page is idle: page context, events, the socket
// and the launcher. The panel (ui/panel.js) is imported on first open, or when the server has
// something to show (a nudge, an answer to a question asked on the previous page).
import { Batch } from "./batch.js";
import { capture } from "./capture.js";
import { Connection } from "./connection.js";
import { pageContext } from "./context.js";
import { encode } from "./json.js";
import { mountLauncher } from "./launcher.js";
import { watchNavigation } from "./navigation.js";
import { watchNetwork } from "./network.js";
import { guard, place } from "./privacy.js";
import { load, save } from "./store.js";

const MAX_META_KEYS = 50;
// Frames worth loading the panel for; any other frame waits until the user opens it.
const PANEL_FRAMES = /^(answer_start|answer_delta|answer_end|error|nudge|handoff|agent_message)$/;
const MAX_EVENT_KEYS = 29; // the protocol allows 30 data keys; "name" takes one

// setContext and track values: JSON-able, bounded, no functions or host objects.
function clamp(value, depth = 0) {
  const type = typeof value;
  if (type === "string") return value.slice(0, 500);
  if (type === "number" || type === "boolean") return value;
  if (value === null || type !== "object" || depth > 1) return undefined;
  if (Array.isArray(value)) {
    const out = [];
    for (let i = 0; i < value.length && i < 50; i++) out.push(clamp(value[i], depth + 1));
    return out;
  }
  const out = {};
  for (const key of Object.keys(value).slice(0, MAX_META_KEYS)) out[key.slice(0, 100)] = clamp(value[key], depth + 1);
  return out;
}

export function boot(config, notify) {
  const state = { route: null, meta: {} };
  let lastPage = "";
  const page = () => {
    const context = pageContext(state, config);
    lastPage = encode(context);
    return context;
  };
  const url = new URL("ws?site_key=" + encodeURIComponent(config.siteKey), config.base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const conn = new Connection({ url: url.href, siteKey: config.siteKey, page });

  // Frames that must not be lost while offline (feedback, csat, escalate) wait here.
  const outbox = [];
  const deliver = (frame) => conn.send(frame) || (outbox.push(frame), false);
  const batch = new Batch((frame) => conn.send(frame));
  const emit = (event) => batch.push(event);
  const sendPage = () => {
    const before = lastPage;
    const context = page();
    if (lastPage !== before && !conn.send({ type: "page", ...context })) lastPage = before;
  };
  let pageTimer = 0;
  const pageSoon = (ms = 100) => {
    clearTimeout(pageTimer);
    pageTimer = setTimeout(guard(sendPage), ms);
  };

  let panel = null;
  let loading = null;
  const waiting = []; // frames that arrived before the panel
  const loadPanel = () =>
    loading ||
    (loading = import("./ui/panel.js").then((module) => {
      panel = module.createPanel({
        root: launcher.root,
        launcher: launcher.button,
        nonce: config.nonce,
        ask: (text) => {
          sendPage(); // the page may show new errors since the last page frame
          return conn.ask(text);
        },
        deliver,
        // The panel's own events go out at once: the welcome answers widget_open, and the
        // nudge policy reads opening, closing and typing in the widget.
        event: (kind, data) => (emit({ kind, t: Date.now(), data }), batch.flush()),
        sessionId: () => conn.session.id,
        notify,
      });
      panel.status(status);
      for (const frame of waiting.splice(0)) panel.receive(frame);
      return panel;
    }));
  const withPanel = (fn) => loadPanel().then(fn);

  const launcher = mountLauncher(config.nonce, { onToggle: () => withPanel((p) => p.toggle()), onIntent: loadPanel });
  let checkNavigation = () => false;
  // A validation error shown or fixed changes the page's form errors: send the page again
  // (only if it changed) so the server knows what the user is looking at while idle. Once
  // things settle: one frame per pause, not one per attempt or keystroke.
  const tracker = capture({
    host: launcher.host,
    emit: (event) => (emit(event), /^(invalid|submit|input)$/.test(event.kind) && pageSoon(3000)),
    flush: () => batch.flush(),
    afterClick: () => checkNavigation(),
  });
  watchNetwork({
    onStart: tracker.noteRequest,
    onFail: (data) => emit({ kind: "http_error", t: Date.now(), data }),
  });
  const navigated = (from, to) => {
    save("at", to);
    if (from && from !== to) emit({ kind: "navigate", t: Date.now(), data: { from, to } });
  };
  checkNavigation = watchNavigation(
    guard((from, to) => {
      navigated(place(from, config), place(to, config));
      batch.flush();
      sendPage();
    }),
    tracker.noteNavigation,
  );
  // A full page load is a navigation too: from the page this tab showed last.
  const arrived = () => navigated(load("at"), place(location.href, config));
  arrived();

  let status = "connecting";
  conn.onStatus = (value) => {
    status = value;
    if (panel) panel.status(value);
  };
  conn.onReady = () => {
    for (const frame of outbox.splice(0)) conn.send(frame);
    batch.flush();
    notify("ready");
  };
  conn.onFrame = guard((frame) => {
    const type = frame.type;
    if (type === "error" && !frame.in_reply_to && frame.code !== "unavailable") return;
    if (type === "nudge") notify("nudge", { id: frame.id, signal: frame.signal, text: frame.text });
    if (type === "answer_end") notify("answer", { id: frame.id });
    if (type === "handoff") notify("handoff", { status: frame.status, agent: frame.agent });
    if (panel) panel.receive(frame);
    else if (PANEL_FRAMES.test(type)) {
      waiting.push(frame);
      loadPanel();
    }
  });

  // Leaving: report what is pending through the open socket, then close it so that the page
  // can enter the back/forward cache. A page restored from that cache reconnects.
  addEventListener("pagehide", guard(() => {
    tracker.leave();
    batch.flush();
    conn.stop();
  }));
  addEventListener("pageshow", guard((e) => e.persisted && (arrived(), conn.restart())));

  // The panel was open when the user left the previous page: open it again, without focus.
  if ((load("thread") || {}).open) withPanel((p) => p.open(false));
  // After the queued API calls (identify, setContext) that the loader replays right after boot.
  Promise.resolve().then(() => conn.connect());

  return guard((name, args) => {
    const [arg, extra] = args;
    if (name === "identify") {
      const token = arg && arg.identity_token;
      conn.identityToken = token ? ("" + token).slice(0, 4096) : null;
      if (conn.ws && conn.ws.readyState === 1) conn.restart(); // the hello is the only place for it
    } else if (name === "setContext") {
      for (const key of Object.keys(arg || {})) {
        const value = arg[key];
        if (key === "route") state.route = value ? "" + value : null;
        else if (key === "allowParams" || key === "denyParams") config[key] = (value || []).map((v) => ("" + v).toLowerCase());
        else if (value == null) delete state.meta[key];
        else if (key in state.meta || Object.keys(state.meta).length < MAX_META_KEYS) state.meta[key.slice(0, 100)] = clamp(value);
      }
      pageSoon();
    } else if (name === "open") withPanel((p) => p.open());
    else if (name === "close") panel && panel.close();
    else if (name === "track") {
      const data = {};
      for (const key of Object.keys(extra || {}).slice(0, MAX_EVENT_KEYS)) data[key.slice(0, 100)] = clamp(extra[key]);
      data.name = ("" + arg).slice(0, 100);
      emit({ kind: "track", t: Date.now(), data });
    }
  });
}
