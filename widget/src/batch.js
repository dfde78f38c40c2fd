// Events go out in batches: every 2 s, or at once when 50 are waiting, or when the page is
// hidden or going away. The server allows ~30 frames/s with bursts of 120; a batch keeps us
// far below that however fast the user clicks. While offline, the newest MAX_KEPT wait.

const EVERY_MS = 2000;
const AT_COUNT = 50;
const PER_FRAME = 200; // the protocol's limit
const MAX_KEPT = 500;

export class Batch {
  constructor(send) {
    this.send = send; // (frame) -> false when the socket is not ready
    this.events = [];
    this.timer = 0;
  }

  push(event) {
    if (this.events.length >= MAX_KEPT) this.events.shift();
    this.events.push(event);
    if (this.events.length >= AT_COUNT) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), EVERY_MS);
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = 0;
    while (this.events.length) {
      const events = this.events.slice(0, PER_FRAME);
      if (!this.send({ type: "events", events })) return; // kept for the next connection
      this.events.splice(0, events.length);
    }
  }
}
