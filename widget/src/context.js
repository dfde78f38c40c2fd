// The page context sent on load and after every navigation: where the user is and what the
// page shows them (title, visible headings, visible form errors), never what they typed.
import { cleanUrl, ignored, readText, scrub } from "./privacy.js";

const MAX_HEADINGS = 20;
const MAX_ERRORS = 20;
// :user-invalid matches only fields the user has interacted with, which is what a user sees as
// an error; :invalid alone would list every empty required field of a fresh form.
const INVALID = (() => {
  try {
    return CSS.supports("selector(:user-invalid)") ? ":user-invalid" : ":invalid";
  } catch {
    return ":invalid";
  }
})();

export const visible = (node) =>
  node.checkVisibility ? node.checkVisibility() : !!(node.offsetWidth || node.offsetHeight || node.getClientRects().length);

export function fieldLabel(field) {
  const label = field.labels && field.labels[0];
  return (
    (label && readText(label, 100)) ||
    scrub(field.getAttribute("aria-label") || field.getAttribute("name") || field.id || field.localName).slice(0, 100)
  );
}

// The message the user sees for a field: the app's error text (aria-errormessage or
// aria-describedby), else a description of the browser's validity state. Never
// validationMessage for built-in checks: Chrome's quotes what the user typed.
export function fieldMessage(field) {
  const ids = (field.getAttribute("aria-errormessage") || field.getAttribute("aria-describedby") || "").split(/\s+/);
  let text = "";
  for (const id of ids) {
    const node = id && document.getElementById(id);
    if (node && visible(node)) text += (text ? " " : "") + readText(node, 300);
  }
  if (text) return text;
  const v = field.validity;
  if (!v || v.valid) return field.getAttribute("aria-invalid") === "true" ? "invalid" : "";
  if (v.customError) return scrub(field.validationMessage).slice(0, 300); // the app's own words
  if (v.valueMissing) return "required";
  if (v.typeMismatch) return "not a valid " + field.type;
  if (v.patternMismatch) return "wrong format" + (field.title ? ": " + scrub(field.title).slice(0, 100) : "");
  if (v.tooShort || v.tooLong) return "wrong length";
  if (v.rangeUnderflow || v.rangeOverflow || v.stepMismatch) return "out of range";
  return "invalid";
}

function formErrors() {
  const out = [];
  const fields = document.querySelectorAll(
    `input${INVALID},select${INVALID},textarea${INVALID},[aria-invalid=true]`,
  );
  for (const field of fields) {
    if (out.length >= MAX_ERRORS) break;
    if (field.type === "hidden" || ignored(field) || !visible(field)) continue;
    out.push(fieldLabel(field) + ": " + fieldMessage(field));
  }
  for (const alert of document.querySelectorAll("[role=alert]")) {
    if (out.length >= MAX_ERRORS) break;
    if (ignored(alert) || !visible(alert)) continue;
    const text = readText(alert, 300);
    if (text && out.indexOf(text) < 0) out.push(text);
  }
  return out;
}

// state: {route, meta} from Pageguide.setContext; config: the query parameter lists.
export function pageContext(state, config) {
  const headings = [];
  for (const h of document.querySelectorAll("h1, h2, h3")) {
    if (headings.length >= MAX_HEADINGS) break;
    if (ignored(h) || !visible(h)) continue;
    const text = readText(h, 300);
    if (text) headings.push(text);
  }
  const routed = document.querySelector("[data-pageguide-route]");
  const route = state.route || (routed && routed.getAttribute("data-pageguide-route"));
  const url = cleanUrl(location.href, config);
  const page = {
    url,
    path: new URL(url).pathname.slice(0, 1024),
    title: scrub(document.title).slice(0, 300),
    headings,
    form_errors: formErrors(),
    meta: state.meta,
  };
  if (route) page.route = route.slice(0, 300);
  return page;
}
