// The socket to the server: hello/ready, resume after a drop, questions queued while offline.

const STORE_KEY = "pageguide.session";

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
  } catch {
    return null;
  }
}

function save(value) {
  try {
    sessionStorage.setItem(STORE_KEY, JSON.stringify(value));
  } catch {
    /* storage can be disabled; the session then lasts as long as the page */
  }
}

export class Connection {
  constructor({ url, siteKey, page }) {
    this.url = url;
    this.siteKey = siteKey;
    this.page = page;
    this.ws = null;
    this.ready = false;
    this.outbox = []; // frames waiting for a ready connection
    this.unanswered = new Map(); // ask id -> frame, re-sent after a reconnect
    this.inReplyTo = new Map(); // answer id -> ask id
    this.attempt = 0;
    this.onFrame = () => {};
    this.onStatus = () => {};
  }

  connect() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      const saved = load() || {};
      ws.send(
        JSON.stringify({
          type: "hello",
          site_key: this.siteKey,
          protocol: 1,
          session_id: saved.session_id,
          resume_token: saved.resume_token,
          page: this.page(),
        }),
      );
    };
    ws.onmessage = (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "ready") {
        save({ session_id: frame.session_id, resume_token: frame.resume_token });
        this.ready = true;
        this.attempt = 0;
        this.onStatus("online");
        for (const ask of this.unanswered.values()) ws.send(JSON.stringify(ask));
        for (const queued of this.outbox.splice(0)) ws.send(JSON.stringify(queued));
      } else if (frame.type === "answer_end") {
        this.unanswered.delete(this.inReplyTo.get(frame.id));
        this.inReplyTo.delete(frame.id);
      } else if (frame.type === "answer_start") {
        this.inReplyTo.set(frame.id, frame.in_reply_to);
      }
      this.onFrame(frame);
    };
    ws.onclose = (event) => {
      this.ready = false;
      this.ws = null;
      if (event.code === 1008 || event.code === 1003) {
        this.onStatus("refused");
        return; // refused by policy: retrying would be refused again
      }
      this.onStatus("offline");
      // Exponential backoff with full jitter, capped at 30 s.
      const delay = Math.random() * Math.min(30000, 500 * 2 ** this.attempt++);
      setTimeout(() => this.connect(), delay);
    };
  }

  send(frame) {
    if (this.ready && this.ws) this.ws.send(JSON.stringify(frame));
    else if (frame.type !== "page") this.outbox.push(frame); // the hello carries the page
  }

  ask(text) {
    const id = "q" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
    const frame = { type: "ask", id, text };
    this.unanswered.set(id, frame);
    if (this.ready && this.ws) this.ws.send(JSON.stringify(frame));
    return id;
  }
}
