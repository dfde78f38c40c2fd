// The widget's own element: a shadow root holding the launcher (and, once loaded, the panel).
// Host CSS cannot reach inside a shadow root except through inherited properties and rules on
// the host element itself, so the host element is reset with inline !important declarations
// (CSSOM writes, which a style-src CSP does not block) and is a custom tag that rules such as
// `div { display: none }` do not match.
import { adopt, el } from "./dom.js";
import CSS from "./launcher.css";


const HOST_STYLE = {
  all: "initial",
  direction: "ltr", // `all` leaves direction alone
  display: "block",
  position: "static",
  visibility: "visible",
  opacity: "1",
  transform: "none",
  filter: "none",
  contain: "none",
  "pointer-events": "auto",
};

export function mountLauncher(nonce, { onToggle, onIntent }) {
  const host = document.createElement("pageguide-widget");
  host.id = "pageguide-root";
  for (const name of Object.keys(HOST_STYLE)) host.style.setProperty(name, HOST_STYLE[name], "important");
  const root = host.attachShadow({ mode: "open" });
  adopt(root, CSS, nonce);
  const button = el("button", { type: "button", class: "launcher", "aria-label": "Open help", "aria-expanded": "false", "aria-haspopup": "dialog" }, "?");
  button.addEventListener("click", onToggle);
  // Start fetching the panel as soon as the user shows interest, before the click lands.
  button.addEventListener("pointerenter", onIntent, { once: true });
  button.addEventListener("focus", onIntent, { once: true });
  root.append(button);
  (document.body || document.documentElement).append(host);
  return { host, root, button };
}
