// What the widget tells the server about the page: never input values, never page bodies.

const MAX_HEADINGS = 20;

function visible(el) {
  return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
}

function text(el, max = 200) {
  return (el.textContent || "").replace(/\s+/g, " ").trim().slice(0, max);
}

export function pageContext() {
  const headings = [];
  for (const h of document.querySelectorAll("h1, h2, h3")) {
    if (headings.length >= MAX_HEADINGS) break;
    if (h.closest("[data-pageguide-ignore]") || !visible(h)) continue;
    const t = text(h);
    if (t) headings.push(t);
  }
  const routed = document.querySelector("[data-pageguide-route]");
  const formErrors = [];
  for (const el of document.querySelectorAll("[role=alert], [aria-invalid=true]")) {
    if (formErrors.length >= 20 || el.closest("[data-pageguide-ignore]") || !visible(el)) continue;
    const t = el.getAttribute("role") === "alert" ? text(el) : el.getAttribute("aria-errormessage") || "";
    if (t) formErrors.push(t);
  }
  const page = {
    url: location.href.slice(0, 2048),
    path: location.pathname,
    title: document.title.slice(0, 300),
    headings,
    form_errors: formErrors,
  };
  if (routed) page.route = routed.getAttribute("data-pageguide-route");
  return page;
}

// Calls `onChange` after each SPA navigation; history methods are wrapped once.
export function watchNavigation(onChange) {
  let last = location.pathname + location.search + location.hash;
  const check = () => {
    const now = location.pathname + location.search + location.hash;
    if (now === last) return;
    last = now;
    // Let the app render the new view before reading its title and headings.
    setTimeout(onChange, 50);
  };
  for (const name of ["pushState", "replaceState"]) {
    const original = history[name];
    history[name] = function (...args) {
      const result = original.apply(this, args);
      check();
      return result;
    };
  }
  addEventListener("popstate", check);
  addEventListener("hashchange", check);
}
