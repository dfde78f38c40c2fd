// widget.js — the loader: the only file a host page includes. It stays tiny (< 1.5 KB gzipped)
// and does no work of its own: it defines window.Pageguide, replays calls that a stub queued,
// reads the script tag, and imports the core (page context, events, socket, launcher) once the
// page has loaded and the browser is idle. The core loads the panel on first open or nudge.

/* global PAGEGUIDE_CORE */ // the hashed core file name, written in by build.mjs

(() => {
  const win = window;
  const doc = document;
  const METHODS = ["init", "identify", "setContext", "open", "close", "track", "on"];
  const prior = win.Pageguide;
  let warned = false;
  const warn = (message) => {
    if (!warned) console.warn("Pageguide: " + message);
    warned = true; // warn once per page, however many copies or inits there are
  };
  if (prior && prior._pg) {
    prior._pg("the widget script is included twice; the second copy does nothing.");
    return;
  }

  const script = doc.currentScript || doc.querySelector("script[data-site-key]");
  const attr = (name) => (script && script.getAttribute("data-" + name)) || "";
  const list = (text) => (text ? text.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean) : []);
  const handlers = {}; // Pageguide.on(): event name -> functions
  const queue = []; // calls made before the core arrived
  let config = null;
  let core = null;
  let loading = null;

  const emit = (name, detail) => {
    for (const fn of handlers[name] || []) {
      try {
        fn(detail);
      } catch (error) {
        setTimeout(() => {
          throw error; // the host's handler failed: report it as the host's error, not ours
        });
      }
    }
  };

  const load = () =>
    loading ||
    (loading = import(new URL(PAGEGUIDE_CORE, config.base).href).then(
      (module) => {
        core = module.boot(config, emit);
        for (const [name, args] of queue.splice(0)) core(name, args);
      },
      () => warn("the widget could not be loaded from " + config.base),
    ));

  // Nothing for a page the user has not seen yet: wait for a prerendered page to be shown,
  // then for the page to finish loading and the browser to be idle.
  const whenIdle = () => {
    if (doc.prerendering) return doc.addEventListener("prerenderingchange", whenIdle, { once: true });
    if (doc.readyState !== "complete") return win.addEventListener("load", whenIdle, { once: true });
    (win.requestIdleCallback || setTimeout)(load, { timeout: 3000 });
  };

  const init = (options = {}) => {
    if (config) return warn("init was called more than once; later calls do nothing.");
    const siteKey = options.siteKey || attr("site-key");
    if (!siteKey) return warn("no site key: add data-site-key to the script tag or call Pageguide.init({siteKey}).");
    config = {
      siteKey,
      base: new URL(options.host || attr("host") || ".", (script && script.src) || location.href).href,
      allowParams: options.allowParams || list(attr("allow-params")),
      denyParams: options.denyParams || list(attr("deny-params")),
      nonce: options.nonce || attr("nonce") || (script && script.nonce) || "",
    };
    whenIdle();
  };

  const call = (name, args) => {
    if (name === "init") return init(args[0]);
    if (name === "on") {
      const [event, fn] = args;
      (handlers[event] = handlers[event] || []).push(fn);
      return () => (handlers[event] = handlers[event].filter((f) => f !== fn));
    }
    if (METHODS.indexOf(name) < 0) return warn("unknown method " + name);
    if (core) return core(name, args);
    queue.push([name, args]);
    if (name === "open" && config) load(); // the user is waiting: skip the idle wait
  };

  const api = (name, ...args) => call(name, args);
  for (const name of METHODS) api[name] = (...args) => call(name, args);
  Object.defineProperty(api, "_pg", { value: warn }); // lets a second copy warn through us
  win.Pageguide = api;

  // Replay a stub's queue: Pageguide("identify", {...}) or Pageguide.identify({...}) before load.
  const stubbed = (prior && prior.q) || [];
  for (let i = 0; i < stubbed.length; i++) {
    const item = stubbed[i];
    const args = [];
    for (let j = 1; j < item.length; j++) args.push(item[j]);
    call(item[0], args);
  }
  if (!config && attr("site-key")) init();
})();
