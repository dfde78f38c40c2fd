// A host page that patches what a guest script relies on (all before the widget loads).
window.hostProblems = [];
document.addEventListener("securitypolicyviolation", (e) => window.hostProblems.push("csp " + e.violatedDirective + " " + e.blockedURI));
window.addEventListener("error", (e) => window.hostProblems.push("error " + e.message));

// An AMD loader: a UMD bundle would register itself here instead of running.
window.define = function () {
  window.hostProblems.push("define() was called");
};
window.define.amd = { jQuery: true };

// Prototype.js-era patches.
Array.prototype.toJSON = function () {
  return "array-toJSON";
};
Object.defineProperty(Array.prototype, "hostExtra", { value: function () {}, enumerable: true, writable: true, configurable: true });
Array.from = function () {
  return [];
};
JSON.stringify = function () {
  return '"host-broke-JSON.stringify"';
};
const nativeParse = JSON.parse;
JSON.parse = function (text, reviver) {
  window.hostParses = (window.hostParses || 0) + 1;
  return nativeParse(text, reviver);
};

// A monitoring tool that wrapped fetch before the widget arrived.
const hostFetch = window.fetch;
window.fetch = function () {
  window.hostFetches = (window.hostFetches || 0) + 1;
  return hostFetch.apply(this, arguments);
};
