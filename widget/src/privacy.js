// What the widget may read from the host page. Never an input's value, never the text of a
// contenteditable, nothing under [data-pageguide-ignore]; text under [data-pageguide-mask]
// becomes MASK; e-mail addresses and card-like numbers are scrubbed from any text we keep.
// docs/privacy.md lists everything that is sent.

export const MASK = "•••";
const SKIP = /^(input|textarea|select|option|script|style|noscript|template|svg|canvas|iframe|object|video|audio)$/;
const EMAIL = /[^\s@<>()[\]"',;:]+@[^\s@<>()[\]"',;:]+\.[a-z]{2,}/gi;
const HAS_EMAIL = new RegExp(EMAIL.source, "i");
const LONG_NUMBER = /\d(?:[ -]?\d){11,}/g;
// Query parameters dropped by default: a name containing any of these, in any case.
const DENY = ["token", "code", "pass", "pwd", "key", "secret", "auth", "session", "email", "sig", "otp", "jwt", "ssn", "credential"];

export const scrub = (text) => text.replace(EMAIL, "[email]").replace(LONG_NUMBER, "[number]");

// Our listeners never throw into the host page (its error monitoring is not ours to fill).
export const guard =
  (fn) =>
  (...args) => {
    try {
      return fn(...args);
    } catch {
      return undefined;
    }
  };

export const ignored = (node) => !!(node && node.closest && node.closest("[data-pageguide-ignore]"));
const masked = (node) => !!node.closest("[data-pageguide-mask]");

// Visible-ish text of an element (its text nodes, skipping form controls and ignored parts),
// bounded in length and in nodes visited so that it costs microseconds on any page.
export function readText(root, max = 100) {
  if (!root || root.nodeType !== 1 || SKIP.test(root.localName) || ignored(root) || root.isContentEditable) return "";
  if (masked(root)) return MASK;
  let out = "";
  let budget = 300;
  const walk = (node) => {
    for (let child = node.firstChild; child && out.length < max * 2 && budget-- > 0; child = child.nextSibling) {
      if (child.nodeType === 3) out += child.data;
      else if (child.nodeType !== 1 || SKIP.test(child.localName)) continue;
      else if (child.hasAttribute("data-pageguide-ignore") || child.isContentEditable) continue;
      else if (child.hasAttribute("data-pageguide-mask")) out += ` ${MASK} `;
      else {
        out += " ";
        walk(child);
        out += " ";
      }
    }
  };
  walk(root);
  return scrub(out.replace(/\s+/g, " ").trim()).slice(0, max);
}

// A URL without its secrets: user:password, and the query (and hash) parameters that are not
// allowed. With an allow list only those names stay; otherwise denied names and any value
// holding an e-mail address go.
export function cleanUrl(href, config) {
  let url;
  try {
    url = new URL(href, location.href);
  } catch {
    return "";
  }
  url.username = url.password = "";
  const allow = config.allowParams || [];
  const deny = DENY.concat(config.denyParams || []);
  const keep = (pair) => {
    const eq = pair.indexOf("=");
    let name = eq < 0 ? pair : pair.slice(0, eq);
    let value = eq < 0 ? "" : pair.slice(eq + 1);
    try {
      name = decodeURIComponent(name).toLowerCase();
      value = decodeURIComponent(value);
    } catch {
      return false;
    }
    if (allow.length) return allow.indexOf(name) >= 0;
    return !deny.some((word) => name.indexOf(word) >= 0) && !HAS_EMAIL.test(value);
  };
  const clean = (query) => query.split("&").filter((p) => p && keep(p)).join("&");
  if (url.search) url.search = clean(url.search.slice(1));
  // Hash routers and OAuth implicit flows put parameters in the fragment too.
  const hash = url.hash.slice(1);
  if (hash.indexOf("=") >= 0) {
    const q = hash.indexOf("?");
    const query = clean(hash.slice(q + 1));
    url.hash = q < 0 ? query : hash.slice(0, q) + (query ? "?" + query : "");
  }
  return url.href.slice(0, 2048);
}

// The part of a URL that names a place in the app: path, query and hash, already cleaned.
export const place = (href, config) => {
  const url = new URL(cleanUrl(href, config) || "/", location.href);
  return (url.pathname + url.search + url.hash).slice(0, 1024);
};
