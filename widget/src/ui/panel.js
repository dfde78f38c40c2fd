// The conversation panel: a dialog in the widget's shadow root, loaded on first open. It keeps
// the thread (and re-renders it on the next page load from sessionStorage), streams answers
// through the Markdown subset, and handles nudges, handoffs, agent messages and ratings.
import { adopt, el } from "../dom.js";
import { load, save } from "../store.js";
import { Card, csatQuestion } from "./cards.js";
import { link, render, safeUrl } from "./markdown.js";
import CSS from "./panel.css";

const KEEP = 40; // thread items kept across page loads
const FOCUSABLE = "button:not([disabled]), a[href], textarea, [tabindex='0']";
const STATUS = {
  offline: "Reconnecting… Anything you ask now is sent when the connection is back.",
  refused: "Help is not available on this page right now.",
};
const UNAVAILABLE = "Sorry, nobody from our team can join the chat right now. You can keep asking here, or try again later.";
const HUMAN = /person|human|agent|someone|support|escalate/i;
// The server's nudge actions, as buttons; other labels are shown as sent and open the panel.
const ACTIONS = { open: "Show me", escalate: "Talk to a person", dismiss: "Not now" };

export const createPanel = (core) => new Panel(core);

// Links to the articles behind an answer or a nudge (http(s) only).
function sourceLinks(sources) {
  const out = [];
  for (const source of sources || []) {
    const href = safeUrl(source.url);
    if (href) out.push(link(href, source.title || href));
  }
  return out;
}

class Panel {
  constructor(core) {
    this.core = core;
    adopt(core.root, CSS, core.nonce);
    const saved = load("thread") || {};
    this.items = saved.items || [];
    this.answered = saved.answered || 0;
    this.byAsk = new Map(); // ask id -> bot item with its bubble
    this.byAnswer = new Map(); // answer id -> bot item
    this.escalating = false;
    this.build();
    for (const item of this.items) this.draw(item, true);
  }

  build() {
    const { root, launcher } = this.core;
    this.panel = el("section", { class: "panel", id: "pageguide-panel", role: "dialog", "aria-modal": "true", "aria-labelledby": "pageguide-title", hidden: true });
    launcher.setAttribute("aria-controls", "pageguide-panel");
    const close = el("button", { type: "button", "aria-label": "Close help" }, "×");
    close.addEventListener("click", () => this.close());
    this.statusLine = el("div", { class: "status", role: "status", hidden: true });
    this.log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
    this.input = el("textarea", { "aria-label": "Your question", placeholder: "Ask about this page…", rows: "1", maxlength: "2000" });
    const form = el("form", null, this.input, el("button", { type: "submit" }, "Send"));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    // Typing in the widget, at most once a second: no nudge interrupts someone writing to us.
    this.input.addEventListener("input", () => {
      if (Date.now() - (this.typed || 0) > 1000) this.core.event("widget_input", {}), (this.typed = Date.now());
    });
    this.panel.addEventListener("keydown", (e) => this.keydown(e));
    this.panel.append(el("div", { class: "head" }, el("h2", { id: "pageguide-title" }, "How can we help?"), close), this.statusLine, this.log, form);
    this.card = new Card(root);
    root.append(this.panel);
  }

  // ---------------------------------------------------------------- open, close, focus

  get isOpen() {
    return !this.panel.hidden;
  }

  toggle() {
    this.isOpen ? this.close() : this.open();
  }

  open(focus = true) {
    if (this.isOpen) return;
    this.card.hide(false);
    const active = document.activeElement;
    this.returnTo = active === this.core.root.host ? this.core.root.activeElement : active;
    this.panel.hidden = false;
    this.core.launcher.setAttribute("aria-expanded", "true");
    if (focus) this.input.focus();
    this.scroll();
    this.core.event("widget_open", {});
    this.core.notify("open");
    this.persist();
  }

  close() {
    if (!this.isOpen) return;
    this.panel.hidden = true;
    this.core.launcher.setAttribute("aria-expanded", "false");
    const back = this.returnTo && this.returnTo.isConnected ? this.returnTo : this.core.launcher;
    back.focus();
    this.core.event("widget_close", {});
    this.core.notify("close");
    this.persist();
    if (this.answered) this.askCsat(false);
  }

  keydown(e) {
    if (e.key === "Escape") {
      e.stopPropagation();
      this.close();
    } else if (e.key === "Tab") {
      // Keep focus inside the open dialog.
      const items = this.panel.querySelectorAll(FOCUSABLE);
      const first = items[0];
      const last = items[items.length - 1];
      const active = this.core.root.activeElement;
      if (e.shiftKey && active === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && active === last) {
        e.preventDefault();
        first.focus();
      }
    }
  }

  // ---------------------------------------------------------------- the thread

  persist() {
    const items = this.items.slice(-KEEP).map((item) => {
      const { node, body, ...data } = item; // the DOM stays here
      return data;
    });
    save("thread", { open: this.isOpen, answered: this.answered, items });
  }

  add(item) {
    this.items.push(item);
    this.draw(item);
    this.scroll();
    this.persist();
    return item;
  }

  note(text) {
    return this.add({ who: "note", text });
  }

  draw(item, restored = false) {
    if (item.who === "user") {
      item.node = el("div", { class: "msg user" }, item.text);
    } else if (item.who === "note") {
      item.node = el("div", { class: "note" }, item.text);
    } else if (item.who === "agent") {
      item.node = el("div", { class: "msg agent" }, el("span", { class: "who" }, item.agent), item.text);
    } else if (item.who === "csat") {
      item.node = el("div", { class: "note" }, item.done ? "Thank you for your feedback!" : csatQuestion((score) => this.sendCsat(score, item)));
    } else {
      item.node = el("div", { class: "msg bot", "data-answer": item.id || "" });
      item.body = el("div", { class: "text" });
      item.node.append(item.body);
      this.byAsk.set(item.ask, item);
      if (item.id) this.byAnswer.set(item.id, item);
      this.paint(item);
      if (item.state === "done") this.finish(item);
      else if (restored) this.interrupted(item); // the previous page was left mid-answer
    }
    this.log.append(item.node);
  }

  paint(item) {
    item.painting = 0;
    item.body.replaceChildren(render(item.text));
  }

  submit() {
    const text = this.input.value.trim().slice(0, 2000);
    if (!text) return;
    this.input.value = "";
    this.ask(text);
  }

  ask(text) {
    const id = this.core.ask(text);
    const item = this.add({ who: "user", text, ask: id });
    if (this.connection !== "online") item.node.append(el("span", { class: "pending" }, "Waiting for the connection…"));
  }

  // ---------------------------------------------------------------- frames from the server

  receive(frame) {
    const handler = this["on_" + frame.type];
    if (handler) handler.call(this, frame);
  }

  on_answer_start(frame) {
    for (const user of this.items) if (user.who === "user" && user.ask === frame.in_reply_to && user.node) user.node.querySelector(".pending")?.remove();
    let item = this.byAsk.get(frame.in_reply_to);
    if (item) {
      // A replay or a fresh answer after a drop: it replaces what we had.
      this.byAnswer.delete(item.id);
      item.node.querySelectorAll(".sources, .rate, .actions, .warn").forEach((n) => n.remove());
      item.text = "";
      this.paint(item);
    } else {
      item = this.add({ who: "bot", ask: frame.in_reply_to, text: "", state: "streaming" });
    }
    item.id = frame.id;
    item.state = "streaming";
    item.node.setAttribute("data-answer", frame.id);
    item.node.setAttribute("aria-busy", "true"); // announce the answer once, when it is complete
    this.byAnswer.set(frame.id, item);
  }

  on_answer_delta(frame) {
    const item = this.byAnswer.get(frame.id);
    if (!item) return;
    item.text += frame.text;
    // Re-render at most once per frame however fast deltas arrive.
    if (!item.painting) item.painting = requestAnimationFrame(() => this.paint(item));
  }

  on_answer_end(frame) {
    const item = this.byAnswer.get(frame.id);
    if (!item) return;
    cancelAnimationFrame(item.painting);
    this.paint(item);
    if (!item.text && item.cut && !item.retried) {
      // The server kept nothing of an answer the drop cut off: ask again, once, by ourselves.
      item.retried = true;
      return this.retry(item);
    }
    item.state = "done";
    item.sources = frame.sources || [];
    item.offer = !!frame.offer_human;
    this.finish(item);
    if (item.text) this.answered++;
    this.scroll();
    this.persist();
  }

  on_error(frame) {
    if (frame.in_reply_to) {
      const item = this.byAsk.get(frame.in_reply_to);
      if (item) item.node.removeAttribute("aria-busy");
      this.note("Sorry, that did not work: " + frame.message);
    } else if (this.escalating && frame.code === "unavailable") {
      this.escalating = false;
      this.note(UNAVAILABLE);
    }
  }

  // Questions worth asking on this page, sent in answer to widget_open: one click asks one.
  on_welcome(frame) {
    this.welcome?.remove();
    const asks = (frame.suggestions || []).slice(0, 3).map((text) => this.button(text, () => (this.welcome.remove(), this.ask(text))));
    if (!asks.length) return;
    this.welcome = el("div", { class: "actions", role: "group", "aria-label": "Suggested questions" }, el("span", { class: "meta" }, "Suggested questions"), ...asks);
    this.log.append(this.welcome);
    this.scroll();
  }

  on_nudge(frame) {
    const signal = frame.signal;
    const event = (kind) => this.core.event(kind, { nudge_id: frame.id, signal });
    event("nudge_shown");
    const accept = (action) => {
      this.card.hide(false);
      event("nudge_opened");
      this.note(frame.text);
      this.open();
      if (HUMAN.test(action)) this.escalate();
    };
    if (this.isOpen) {
      this.note(frame.text);
      return;
    }
    const actions = el("div", { class: "actions" });
    const list = (frame.actions || []).slice(0, 3);
    for (const action of list.length ? list : ["open"]) {
      actions.append(this.button(ACTIONS[action] || action, () => (action === "dismiss" ? this.card.hide(true) : accept(action))));
    }
    const links = sourceLinks(frame.sources);
    this.card.show("Help suggestion", [el("p", null, frame.text), el("div", { class: "sources", hidden: !links[0] }, ...links), actions], () => event("nudge_dismissed"));
  }

  on_handoff(frame) {
    this.escalating = false;
    const who = frame.agent ? `${frame.agent}: ` : "";
    this.note(who + frame.message);
    if (frame.status === "closed") this.askCsat(true);
  }

  on_agent_message(frame) {
    this.add({ who: "agent", agent: frame.agent, text: frame.text });
  }

  // ---------------------------------------------------------------- under an answer

  finish(item) {
    item.node.removeAttribute("aria-busy");
    if (!item.text) {
      // The server kept no text for it (the answer was cut off): say so and offer to ask again.
      const warn = el("div", { class: "warn" }, "This answer was interrupted. ");
      warn.append(this.button("Ask again", () => this.retry(item)));
      item.node.append(warn);
      return;
    }
    const sources = sourceLinks(item.sources);
    if (sources.length) item.node.append(el("div", { class: "sources" }, el("span", { class: "meta" }, "Sources:"), ...sources));
    const rate = el("div", { class: "rate", role: "group", "aria-label": "Was this answer helpful?" });
    for (const [rating, symbol, label] of [["up", "👍", "Helpful"], ["down", "👎", "Not helpful"]]) {
      const button = el("button", { type: "button", "aria-label": label, "aria-pressed": item.rating === rating ? "true" : "false" }, symbol);
      button.addEventListener("click", () => {
        for (const b of rate.children) b.setAttribute("aria-pressed", "false");
        button.setAttribute("aria-pressed", "true");
        item.rating = rating;
        this.core.deliver({ type: "feedback", message_id: item.id, rating });
        this.persist();
      });
      rate.append(button);
    }
    item.node.append(rate);
    if (item.offer) item.node.append(el("div", { class: "actions" }, this.button("Talk to a person", () => this.escalate())));
  }

  interrupted(item) {
    item.cut = true;
    item.node.removeAttribute("aria-busy");
    if (!item.node.querySelector(".warn")) item.node.append(el("div", { class: "warn" }, "Connection lost: the rest of this answer follows when we reconnect."));
  }

  // Ask the same question again under a new id; the answer replaces this bubble's.
  retry(item) {
    const asked = this.items.find((i) => i.who === "user" && i.ask === item.ask);
    if (!asked) return;
    this.byAsk.delete(item.ask);
    item.ask = asked.ask = this.core.ask(asked.text);
    this.byAsk.set(item.ask, item);
    item.state = "streaming";
    this.persist();
  }

  button(text, onClick) {
    const button = el("button", { type: "button", class: "chip" }, text);
    button.addEventListener("click", onClick);
    return button;
  }

  escalate() {
    this.escalating = true;
    this.core.deliver({ type: "escalate" });
    this.note("Asking for a person to join…");
  }

  // ---------------------------------------------------------------- satisfaction

  askCsat(inThread) {
    const key = this.core.sessionId();
    if (!key || load("csat") === key) return; // once per session
    save("csat", key);
    if (inThread) this.add({ who: "csat" });
    else this.card.show("Rate this conversation", [csatQuestion((score) => this.sendCsat(score), () => this.card.hide(false))]);
  }

  sendCsat(score, item) {
    this.core.deliver({ type: "csat", score });
    if (item) (item.done = true), this.persist();
  }

  // ---------------------------------------------------------------- connection state

  status(state) {
    this.connection = state;
    this.statusLine.hidden = !STATUS[state];
    this.statusLine.textContent = STATUS[state] || "";
    if (state === "offline") for (const item of this.byAnswer.values()) if (item.state === "streaming") this.interrupted(item);
  }

  scroll() {
    this.log.scrollTop = this.log.scrollHeight;
  }
}
