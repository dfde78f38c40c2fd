// Small prompts that stand next to the launcher while the panel is closed: a nudge from the
// server, or the satisfaction question once a conversation is over. One at a time.
import { el } from "../dom.js";

const SCORES = ["Very poor", "Poor", "OK", "Good", "Excellent"];

export class Card {
  constructor(root) {
    this.node = el("div", { class: "card", role: "region", "aria-label": "Help suggestion", hidden: true });
    this.body = el("div", { "aria-live": "polite" });
    const dismiss = el("button", { type: "button", class: "dismiss", "aria-label": "Dismiss" }, "×");
    dismiss.addEventListener("click", () => this.hide(true));
    this.node.append(this.body, dismiss);
    this.node.addEventListener("keydown", (e) => e.key === "Escape" && this.hide(true));
    this.onDismiss = null;
    root.append(this.node);
  }

  show(label, children, onDismiss) {
    this.hide(false);
    this.node.setAttribute("aria-label", label);
    this.body.replaceChildren(...children);
    this.onDismiss = onDismiss;
    this.node.hidden = false;
  }

  hide(byUser) {
    if (this.node.hidden) return;
    this.node.hidden = true;
    const callback = this.onDismiss;
    this.onDismiss = null;
    if (byUser && callback) callback();
  }
}

// The 1–5 question; `send(score)` delivers the csat frame. Used in a card and in the thread.
export function csatQuestion(send, done) {
  const box = el("div");
  const scores = el("div", { class: "csat", role: "group", "aria-label": "Rate this conversation from 1 to 5" });
  SCORES.forEach((label, i) => {
    const button = el("button", { type: "button", "aria-label": `${i + 1} of 5: ${label}`, title: label }, "" + (i + 1));
    button.addEventListener("click", () => {
      send(i + 1);
      box.replaceChildren(el("p", null, "Thank you for your feedback!"));
      if (done) setTimeout(done, 2500);
    });
    scores.append(button);
  });
  box.append(el("p", null, "How helpful was this conversation?"), scores);
  return box;
}
