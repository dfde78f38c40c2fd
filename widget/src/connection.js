// The socket to the server: hello/ready, resume after a drop, questions kept until answered.
//
// A drop is followed by a reconnect with exponential backoff and jitter; the hello carries the
// session id and resume token from the last `ready`, so the server continues the same session.
// Every question stays in `unanswered` (and in sessionStorage, so a page load keeps it) until
// its answer_end arrives, and is re-sent with the same id after each reconnect: the server
// replays an answer it already has and answers one it does not.
import { decode, encode } from "./json.js";
import { load, save } from "./store.js";

const BASE_DELAY = 500;
const MAX_DELAY = 30000;

export class Connection {
  constructor({ url, siteKey, page }) {
    this.url = url;
    this.siteKey = siteKey;
    this.page = page; // () -> the page context for the hello
    this.identityToken = null;
    this.ws = null;
    this.ready = false;
    this.stopped = false;
    this.attempt = 0;
    this.retry = 0;
    const saved = load("session") || {};
    this.session = { id: saved.id, token: saved.token };
    this.unanswered = new Map(); // ask id -> ask frame
    for (const ask of saved.asks || []) this.unanswered.set(ask.id, ask);
    this.inReplyTo = new Map(); // answer id -> ask id
    this.onFrame = () => {};
    this.onStatus = () => {};
    this.onReady = () => {};
  }

  persist() {
    save("session", { id: this.session.id, token: this.session.token, asks: [...this.unanswered.values()] });
  }

  connect() {
    clearTimeout(this.retry);
    if (this.ws || this.stopped) return;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      return this.onStatus("refused"); // a CSP without our connect-src, or a bad URL
    }
    this.ws = ws;
    ws.onopen = () => {
      const hello = { type: "hello", site_key: this.siteKey, protocol: 1, page: this.page() };
      if (this.session.id) Object.assign(hello, { session_id: this.session.id, resume_token: this.session.token });
      if (this.identityToken) hello.identity_token = this.identityToken;
      ws.send(encode(hello));
    };
    ws.onmessage = (event) => {
      let frame;
      try {
        frame = decode(event.data);
      } catch {
        return;
      }
      if (!frame || typeof frame.type !== "string") return;
      if (frame.type === "ready") {
        this.session = { id: frame.session_id, token: frame.resume_token };
        this.ready = true;
        this.attempt = 0;
        this.persist();
        this.onStatus("online");
        for (const ask of this.unanswered.values()) ws.send(encode(ask));
        this.onReady(frame);
      } else if (frame.type === "answer_start") {
        this.inReplyTo.set(frame.id, frame.in_reply_to);
      } else if (frame.type === "answer_end" || (frame.type === "error" && frame.in_reply_to)) {
        const ask = frame.in_reply_to || this.inReplyTo.get(frame.id);
        this.inReplyTo.delete(frame.id);
        if (this.unanswered.delete(ask)) this.persist();
      }
      this.onFrame(frame);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.ready = false;
      if (this.stopped) return;
      if (event.code === 1008 || event.code === 1003) {
        this.onStatus("refused"); // refused by policy: retrying would be refused again
        return;
      }
      this.onStatus("offline");
      // Exponential backoff with jitter: half fixed, half random, capped at 30 s.
      const delay = Math.min(MAX_DELAY, BASE_DELAY * 2 ** this.attempt++);
      this.retry = setTimeout(() => this.connect(), delay / 2 + (Math.random() * delay) / 2);
    };
  }

  // Close now and connect again at once (a new identity, a page back from the bfcache).
  restart() {
    this.stop();
    this.stopped = false;
    this.attempt = 0;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retry);
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    if (ws) ws.close(1000);
  }

  // Sends now if the session is up; returns false otherwise (the caller keeps the frame).
  send(frame) {
    if (!this.ready || !this.ws || this.ws.readyState !== 1) return false;
    this.ws.send(encode(frame));
    return true;
  }

  ask(text) {
    const id = "q" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    const frame = { type: "ask", id, text };
    this.unanswered.set(id, frame);
    this.persist();
    this.send(frame);
    return id;
  }
}
