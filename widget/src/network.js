// Failed requests and "a request started" signals, from fetch and XMLHttpRequest. We wrap
// whatever fetch the page has when we load (the host may have patched it already; it may wrap
// ours later) and hand back a promise that settles exactly like the original. Only the method,
// the path (no host, no query) and the status are kept: never bodies, headers or parameters.

const path = (url) => {
  try {
    return new URL(url, location.href).pathname.slice(0, 1024);
  } catch {
    return "";
  }
};

export function watchNetwork({ onStart, onFail }) {
  const fail = (method, url, status) => onFail({ method: (method || "GET").toUpperCase().slice(0, 10), path: path(url), status });
  const originalFetch = window.fetch;
  if (typeof originalFetch === "function") {
    window.fetch = function (input, init) {
      const method = (init && init.method) || (input && input.method);
      const url = input && typeof input === "object" && "url" in input ? input.url : "" + input;
      onStart();
      const pending = originalFetch.apply(this, arguments);
      if (!pending || typeof pending.then !== "function") return pending;
      return pending.then(
        (response) => {
          if (response && response.status >= 400) fail(method, url, response.status);
          return response;
        },
        (error) => {
          if (!error || error.name !== "AbortError") fail(method, url, 0);
          throw error;
        },
      );
    };
  }
  const xhr = window.XMLHttpRequest && XMLHttpRequest.prototype;
  if (!xhr) return;
  const requests = new WeakMap(); // xhr -> [method, url]; no expando properties on host objects
  const open = xhr.open;
  const send = xhr.send;
  xhr.open = function (method, url) {
    requests.set(this, [method, url]);
    return open.apply(this, arguments);
  };
  xhr.send = function () {
    const request = requests.get(this);
    if (request) {
      onStart();
      let aborted = false;
      this.addEventListener("abort", () => (aborted = true));
      this.addEventListener("loadend", () => {
        if (this.status >= 400 || (this.status === 0 && !aborted)) fail(request[0], request[1], this.status);
      });
    }
    return send.apply(this, arguments);
  };
}
