// The launcher and panel, in a shadow root. Network text is only ever set as textContent.

const CSS = `
:host { all: initial; }
* { box-sizing: border-box; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
.launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; width: 56px; height: 56px;
  border-radius: 50%; border: 0; background: #4f46e5; color: #fff; font-size: 24px; cursor: pointer;
  box-shadow: 0 4px 14px rgba(0,0,0,.25); }
.launcher:focus-visible, button:focus-visible, textarea:focus-visible { outline: 3px solid #a5b4fc; outline-offset: 2px; }
.panel { position: fixed; right: 20px; bottom: 88px; z-index: 2147483000; width: min(380px, calc(100vw - 40px));
  height: min(560px, calc(100vh - 120px)); display: flex; flex-direction: column; background: #fff; color: #1f2937;
  border-radius: 14px; box-shadow: 0 10px 40px rgba(0,0,0,.25); overflow: hidden; font-size: 14px; line-height: 1.5; }
.panel[hidden] { display: none; }
header { padding: 12px 16px; background: #4f46e5; color: #fff; display: flex; justify-content: space-between; align-items: center; }
header h2 { margin: 0; font-size: 15px; font-weight: 600; }
header button { background: transparent; border: 0; color: #fff; font-size: 20px; cursor: pointer; }
.status { font-size: 12px; padding: 4px 16px; background: #fef3c7; color: #92400e; }
.status[hidden] { display: none; }
.log { flex: 1; overflow-y: auto; padding: 12px 16px; display: flex; flex-direction: column; gap: 10px; }
.msg { max-width: 90%; padding: 8px 12px; border-radius: 12px; white-space: pre-wrap; word-wrap: break-word; }
.user { align-self: flex-end; background: #4f46e5; color: #fff; }
.bot { align-self: flex-start; background: #f3f4f6; }
.sources { margin-top: 6px; font-size: 12px; display: flex; flex-direction: column; gap: 2px; }
.sources a { color: #4338ca; }
.meta { font-size: 12px; color: #6b7280; margin-top: 4px; }
.rate { display: flex; gap: 4px; margin-top: 4px; }
.rate button { border: 1px solid #d1d5db; background: #fff; border-radius: 6px; cursor: pointer; padding: 0 6px; }
.rate button[aria-pressed=true] { background: #e0e7ff; }
form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e5e7eb; }
textarea { flex: 1; resize: none; border: 1px solid #d1d5db; border-radius: 8px; padding: 8px; font-size: 14px; height: 40px; color: inherit; background: #fff; }
form button { border: 0; border-radius: 8px; background: #4f46e5; color: #fff; padding: 0 14px; cursor: pointer; }
@media (prefers-color-scheme: dark) {
  .panel { background: #111827; color: #f3f4f6; } .bot { background: #1f2937; }
  textarea { background: #1f2937; border-color: #374151; } .sources a { color: #a5b4fc; }
}
@media (prefers-reduced-motion: no-preference) { .panel { transition: opacity .15s; } }
`;

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function safeUrl(url) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

export class Panel {
  constructor({ onAsk, onFeedback }) {
    this.onAsk = onAsk;
    this.onFeedback = onFeedback;
    this.answers = new Map(); // answer id -> bubble element
  }

  mount() {
    const host = el("div", { id: "pageguide-root" });
    const root = host.attachShadow({ mode: "open" });
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch {
      root.append(el("style", {}, CSS)); // browsers without constructable stylesheets
    }
    this.launcher = el("button", { class: "launcher", "aria-label": "Open help", "aria-expanded": "false" }, "?");
    this.panel = el("section", { class: "panel", role: "dialog", "aria-label": "Help", hidden: "" });
    const header = el("header");
    header.append(el("h2", {}, "How can we help?"));
    const close = el("button", { "aria-label": "Close help" }, "×");
    header.append(close);
    this.statusLine = el("div", { class: "status", role: "status", hidden: "" });
    this.log = el("div", { class: "log", role: "log", "aria-live": "polite" });
    const form = el("form");
    this.input = el("textarea", { "aria-label": "Your question", placeholder: "Ask about this page…", rows: "1" });
    form.append(this.input, el("button", { type: "submit" }, "Send"));
    this.panel.append(header, this.statusLine, this.log, form);
    root.append(this.launcher, this.panel);
    document.body.append(host);

    this.launcher.addEventListener("click", () => (this.panel.hidden ? this.open() : this.close()));
    close.addEventListener("click", () => this.close());
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        this.submit();
      }
    });
    this.panel.addEventListener("keydown", (e) => e.key === "Escape" && this.close());
  }

  open() {
    if (!this.panel) return;
    this.panel.hidden = false;
    this.launcher.setAttribute("aria-expanded", "true");
    this.input.focus();
  }

  close() {
    if (!this.panel) return;
    this.panel.hidden = true;
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.focus();
  }

  submit() {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = "";
    this.log.append(el("div", { class: "msg user" }, text));
    this.onAsk(text);
    this.scroll();
  }

  status(state) {
    const messages = { offline: "Reconnecting…", refused: "Help is not available on this page." };
    this.statusLine.hidden = !messages[state];
    this.statusLine.textContent = messages[state] || "";
  }

  receive(frame) {
    if (frame.type === "answer_start") {
      const bubble = el("div", { class: "msg bot", "data-answer": frame.id });
      bubble.append(el("div", { class: "text" }));
      this.answers.set(frame.id, bubble);
      this.log.append(bubble);
    } else if (frame.type === "answer_delta") {
      const bubble = this.answers.get(frame.id);
      if (bubble) bubble.firstChild.textContent += frame.text;
    } else if (frame.type === "answer_end") {
      const bubble = this.answers.get(frame.id);
      if (bubble) this.finish(bubble, frame);
    } else if (frame.type === "error" && frame.in_reply_to) {
      this.log.append(el("div", { class: "msg bot" }, frame.message));
    }
    this.scroll();
  }

  finish(bubble, frame) {
    if (frame.sources && frame.sources.length) {
      const list = el("div", { class: "sources" });
      list.append(el("span", { class: "meta" }, "Sources:"));
      for (const source of frame.sources) {
        const href = safeUrl(source.url);
        if (!href) continue;
        list.append(el("a", { href, target: "_blank", rel: "noopener noreferrer" }, source.title));
      }
      bubble.append(list);
    }
    const rate = el("div", { class: "rate" });
    for (const [rating, label] of [["up", "👍"], ["down", "👎"]]) {
      const button = el("button", { "aria-label": `Rate answer ${rating}`, "aria-pressed": "false" }, label);
      button.addEventListener("click", () => {
        for (const b of rate.children) b.setAttribute("aria-pressed", "false");
        button.setAttribute("aria-pressed", "true");
        this.onFeedback(frame.id, rating);
      });
      rate.append(button);
    }
    bubble.append(rate);
  }

  scroll() {
    this.log.scrollTop = this.log.scrollHeight;
  }
}
