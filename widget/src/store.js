// sessionStorage, defensively: it throws when storage is disabled, full or sandboxed, and then
// the widget simply forgets at the end of the page.
import { decode, encode } from "./json.js";

export function load(key) {
  try {
    return decode(sessionStorage.getItem("pageguide." + key) || "null");
  } catch {
    return null;
  }
}

export function save(key, value) {
  try {
    sessionStorage.setItem("pageguide." + key, encode(value));
  } catch {
    /* the session then lasts as long as the page */
  }
}
