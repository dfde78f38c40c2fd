// Our own JSON encoder. Host pages patch JSON.stringify, or give Array.prototype a toJSON (old
// Prototype.js does), and either would corrupt every frame we send. We only ever encode plain
// data that we built ourselves, so a few lines that ignore toJSON are enough. Parsing uses the
// JSON.parse that was there when this module loaded; no prototype patch changes what it returns.

const ESCAPES = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };
const escape = (c) => ESCAPES[c] || "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0");

export function encode(value) {
  if (value === null || value === undefined) return "null";
  const type = typeof value;
  if (type === "string") return '"' + value.replace(/["\\\u0000-\u001f\u2028\u2029]/g, escape) + '"';
  if (type === "number") return isFinite(value) ? "" + value : "null";
  if (type === "boolean") return value ? "true" : "false";
  let out = "";
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) out += (i ? "," : "") + encode(value[i]);
    return "[" + out + "]";
  }
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (item === undefined || typeof item === "function") continue;
    out += (out ? "," : "") + encode(key) + ":" + encode(item);
  }
  return "{" + out + "}";
}

const nativeParse = JSON.parse;
export const decode = (text) => nativeParse(text);
