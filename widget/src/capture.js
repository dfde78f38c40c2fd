// The events the widget reports about the page. Every listener is passive and does almost
// nothing in the host's task: a click records its time, position and composed path; naming
// the target and deciding the click's effect happen a second later in a timer of our own.
import { fieldLabel, fieldMessage, visible } from "./context.js";
import { guard, ignored, scrub } from "./privacy.js";
import { describe } from "./target.js";

const EFFECT_WINDOW = 1000; // a click's effect must show within this many ms
const INPUT_EVERY = 5000; // at most one "input" event per field in this many ms
const SAME_ATTEMPT = 250; // one field reported invalid twice this close together: one attempt
const OPTIONS = { capture: true, passive: true };

export function capture({ host, emit, flush, afterClick }) {
  const now = () => performance.now();
  const at = { dom: -1, navigation: -1, request: -1, scroll: -1, selection: -1 };
  const pending = []; // clicks waiting for their effect, oldest first
  let timer = 0;
  let observing = false;
  const observer = new MutationObserver(() => {
    at.dom = now();
    observer.disconnect(); // one mutation is all we need to know; no cost while nobody clicks
    observing = false;
  });
  const on = (target, type, fn, options = OPTIONS) => target.addEventListener(type, guard(fn), options);
  const ours = (e) => e.target === host;

  on(document, "click", (e) => {
    if (ours(e)) return;
    const click = { t: Date.now(), start: now(), path: e.composedPath(), x: Math.round(e.pageX), y: Math.round(e.pageY) };
    click.newTab = e.ctrlKey || e.metaKey || e.shiftKey || e.button === 1;
    pending.push(click);
    if (!observing) {
      observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
      observing = true;
    }
    if (!timer) timer = setTimeout(due, EFFECT_WINDOW);
  });

  // One timer for all pending clicks, however fast they come.
  const due = guard(() => {
    timer = 0;
    while (pending.length && pending[0].start + EFFECT_WINDOW <= now()) guard(settle)(pending.shift(), false);
    if (pending.length) timer = setTimeout(due, pending[0].start + EFFECT_WINDOW - now());
  });

  function settle(click, leaving) {
    // A router that kept the native pushState changed the URL without telling us.
    const moved = afterClick();
    const info = describe(click.path);
    if (!info || ignored(info.node)) return;
    const within = (t) => t >= click.start && t <= click.start + EFFECT_WINDOW;
    const effect = leaving || moved || within(at.navigation) ? "navigation" : within(at.dom) ? "dom" : within(at.request) ? "request" : "none";
    const node = info.node;
    let looks = info.interactive || node.hasAttribute("onclick") || node.hasAttribute("tabindex");
    if (!looks && !leaving) looks = getComputedStyle(node).cursor === "pointer";
    const data = { effect, looks_interactive: !!looks };
    if (within(at.scroll)) data.scrolled = true;
    if (within(at.selection) && !getSelection().isCollapsed) data.selection_changed = true;
    const link = node.closest("a[href]");
    if (link && (link.target === "_blank" || click.newTab)) data.opens_new_tab = true;
    if (link && link.hasAttribute("download")) data.download = true;
    emit({ kind: "click", t: click.t, target: info.target, x: click.x, y: click.y, data });
  }

  on(document, "scroll", () => (at.scroll = now()));
  on(document, "selectionchange", () => (at.selection = now()));

  // Validation errors: the browser's (invalid events), the app's (a field turning
  // aria-invalid), and those still shown after another submit attempt.
  const reported = new WeakMap(); // field -> when we last reported it invalid
  const invalid = (field) => {
    if (ignored(field) || now() - (reported.get(field) || -1e9) < SAME_ATTEMPT) return;
    reported.set(field, now());
    const info = describe([field]);
    emit({ kind: "invalid", t: Date.now(), target: info && info.target, data: { message: fieldMessage(field), field: fieldLabel(field) } });
  };
  on(document, "invalid", (e) => invalid(e.target));
  new MutationObserver(
    guard((records) => {
      for (const r of records) if (r.oldValue !== "true" && r.target.getAttribute("aria-invalid") === "true") invalid(r.target);
    }),
  ).observe(document, { subtree: true, attributes: true, attributeFilter: ["aria-invalid"], attributeOldValue: true });

  on(document, "submit", (e) => {
    const form = e.target;
    if (ours(e) || ignored(form)) return;
    const info = describe([form]);
    emit({ kind: "submit", t: Date.now(), target: info && { ...info.target, role: "form" } });
    // After the app's own submit handler has validated the form.
    setTimeout(
      guard(() => {
        for (const field of form.querySelectorAll("[aria-invalid=true]")) if (visible(field)) invalid(field);
      }),
    );
  });

  const typed = new WeakMap();
  on(document, "input", (e) => {
    const field = e.composedPath()[0];
    if (ours(e) || !field || field.nodeType !== 1 || Date.now() - (typed.get(field) || 0) < INPUT_EVERY) return;
    typed.set(field, Date.now());
    const t = Date.now();
    setTimeout(guard(() => !ignored(field) && emit({ kind: "input", t, target: describe([field]).target })));
  });

  on(window, "error", (e) => {
    if (!(e instanceof ErrorEvent)) return;
    const source = (e.filename || "").split(/[?#]/)[0].slice(0, 300);
    emit({ kind: "error", t: Date.now(), data: { message: scrub("" + (e.message || "Error")).slice(0, 300), source } });
  }, false);
  on(window, "unhandledrejection", (e) => {
    const reason = e.reason;
    const message = reason instanceof Error ? reason.message : typeof reason === "string" ? reason : "Unhandled promise rejection";
    emit({ kind: "error", t: Date.now(), data: { message: scrub(message).slice(0, 300), source: "promise" } });
  }, false);

  on(document, "visibilitychange", () => {
    emit({ kind: "visibility", t: Date.now(), data: { state: document.visibilityState } });
    if (document.visibilityState === "hidden") flush();
  });

  return {
    noteRequest: () => (at.request = now()),
    noteNavigation: () => (at.navigation = now()),
    // The page is going away: every pending click led somewhere.
    leave: () => {
      for (const click of pending.splice(0)) guard(settle)(click, true);
    },
  };
}
