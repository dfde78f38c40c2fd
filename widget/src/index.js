// Pageguide widget entry: one script tag, no globals beyond window.Pageguide.
import { Connection } from "./connection.js";
import { pageContext, watchNavigation } from "./context.js";
import { Panel } from "./ui.js";

(() => {
  const existing = window.Pageguide;
  if (existing && existing.__loaded) {
    console.warn("Pageguide: the widget script is included twice; the second copy does nothing.");
    return;
  }
  const script =
    document.currentScript || document.querySelector("script[data-site-key][src*='widget']");
  if (!script) return;
  const siteKey = script.getAttribute("data-site-key");
  if (!siteKey) {
    console.warn("Pageguide: the script tag needs a data-site-key attribute.");
    return;
  }
  const origin = new URL(script.src, location.href).origin;

  const connection = new Connection({
    url: origin.replace(/^http/, "ws") + "/ws?site_key=" + encodeURIComponent(siteKey),
    siteKey,
    page: pageContext,
  });
  const panel = new Panel({
    onAsk: (text) => connection.ask(text),
    onFeedback: (id, rating) => connection.send({ type: "feedback", message_id: id, rating }),
  });
  connection.onFrame = (frame) => panel.receive(frame);
  connection.onStatus = (status) => panel.status(status);

  const api = {
    __loaded: true,
    open: () => panel.open(),
    close: () => panel.close(),
  };
  // Replay calls queued by a snippet before the script arrived: Pageguide("open").
  const queued = (existing && existing.q) || [];
  window.Pageguide = api;
  for (const [name, ...args] of queued) if (typeof api[name] === "function") api[name](...args);

  const start = () => {
    panel.mount();
    connection.connect();
    watchNavigation(() => connection.send({ type: "page", ...pageContext() }));
  };
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start, { once: true });
})();
