// Naming what the user clicked: a stable CSS selector, its ARIA role and its visible text.
// Computed after the click from the event's composed path, so the host's own click handlers
// never wait for us and an element the click removed can still be named.
import { fieldLabel } from "./context.js";
import { MASK, readText, scrub } from "./privacy.js";

const INTERACTIVE_ROLES = /^(button|link|menuitem|menuitemcheckbox|menuitemradio|tab|checkbox|radio|switch|option|treeitem)$/;
const CLICKABLE = "a[href],button,input,select,textarea,summary,label,[role],[onclick],[tabindex]";
// Generated names (CSS-in-JS hashes, framework ids, long numbers) change between builds/renders.
const UNSTABLE = /\d{3,}|[:]|^(css|sc|jsx|svelte|emotion|chakra|mui|ember|ng|radix|headlessui)-|[a-z][A-Z0-9]{5,}|^[a-zA-Z0-9]{10,}$/;
const TEST_IDS = ["data-testid", "data-test", "data-cy", "data-pageguide-id"];
const quote = (value) => '"' + value.replace(/["\\]/g, "\\$&").slice(0, 100) + '"';

const INPUT_ROLES = {
  checkbox: "checkbox", radio: "radio", range: "slider", number: "spinbutton", search: "searchbox",
  button: "button", submit: "button", reset: "button", image: "button", file: "button", hidden: "",
};

export function roleOf(node) {
  const explicit = node.getAttribute("role");
  if (explicit) return explicit.split(" ")[0].slice(0, 50);
  const tag = node.localName;
  if (tag === "a" || tag === "area") return node.hasAttribute("href") ? "link" : "";
  if (tag === "button" || tag === "summary") return "button";
  if (tag === "select") return node.multiple || node.size > 1 ? "listbox" : "combobox";
  if (tag === "textarea") return "textbox";
  if (tag === "input") {
    const role = INPUT_ROLES[(node.getAttribute("type") || "text").toLowerCase()];
    return role === undefined ? "textbox" : role;
  }
  if (/^h[1-6]$/.test(tag)) return "heading";
  if (tag === "img") return "img";
  if (tag === "option") return "option";
  return "";
}

function part(node) {
  const tag = node.localName;
  if (node.id && !UNSTABLE.test(node.id)) return ["#" + CSS.escape(node.id), true];
  for (const name of TEST_IDS) {
    const value = node.getAttribute(name);
    if (value) return [`${tag}[${name}=${quote(value)}]`, true];
  }
  let out = tag;
  const name = node.getAttribute("name");
  if (name && /^(input|select|textarea|button|form)$/.test(tag)) out += `[name=${quote(name)}]`;
  let classes = 0;
  for (const cls of node.classList) {
    if (classes === 2) break;
    if (!UNSTABLE.test(cls)) (out += "." + CSS.escape(cls)), classes++;
  }
  // Position among same-tag siblings, when there are any (bounded for huge lists).
  let index = 1;
  let twins = false;
  let steps = 0;
  for (let s = node.previousElementSibling; s && steps < 200; s = s.previousElementSibling, steps++) {
    if (s.localName === tag) index++, (twins = true);
  }
  for (let s = node.nextElementSibling; s && !twins && steps < 400; s = s.nextElementSibling, steps++) {
    if (s.localName === tag) twins = true;
  }
  if (twins) out += `:nth-of-type(${index})`;
  return [out, false];
}

// path: the click's composedPath(), innermost first.
export function describe(path) {
  const elements = [];
  for (const node of path) {
    if (node.nodeType !== 1 || node.localName === "body" || node.localName === "html") break;
    elements.push(node);
  }
  if (!elements.length) return null;
  let target = elements[0];
  for (const node of elements) {
    if (node.matches(CLICKABLE) && (node.getAttribute("role") ? INTERACTIVE_ROLES.test(roleOf(node)) : true)) {
      target = node;
      break;
    }
  }
  const parts = [];
  for (let i = elements.indexOf(target); i < elements.length && parts.length < 5; i++) {
    const [text, anchored] = part(elements[i]);
    parts.unshift(text);
    if (anchored) break;
  }
  const role = roleOf(target);
  const label = target.getAttribute("aria-label") || target.getAttribute("title") || target.getAttribute("alt");
  return {
    node: target,
    target: {
      selector: parts.join(" > ").slice(0, 500),
      text: /^(input|select|textarea)$/.test(target.localName) ? fieldLabel(target) : !label ? readText(target) : target.closest("[data-pageguide-mask]") ? MASK : scrub(label).slice(0, 100),
      role,
    },
    interactive: INTERACTIVE_ROLES.test(role),
  };
}

export const isInteractiveRole = (role) => INTERACTIVE_ROLES.test(role);
