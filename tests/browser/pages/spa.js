// The fixture app: a tiny SPA whose buttons each do one thing the widget should notice.
const $ = (id) => document.getElementById(id);
$("dom-button").addEventListener("click", () => $("rows").append(document.createElement("li")));
$("nav-button").addEventListener("click", () => {
  history.pushState({}, "", "/fixture/settings?tab=billing&token=abc123&project_secret=x#top");
  document.title = "Settings — Fixture";
  $("title").textContent = "Settings";
});
$("hash-button").addEventListener("click", () => (location.hash = "section-2"));
$("request-button").addEventListener("click", () => {
  fetch("/api/missing?secret=s3cr3t", { method: "POST", body: "card=4242424242424242" }).catch(() => {});
});
$("xhr-button").addEventListener("click", () => {
  const xhr = new XMLHttpRequest();
  xhr.open("GET", "/api/missing-xhr?session=abc");
  xhr.send();
});
$("error-button").addEventListener("click", () => {
  setTimeout(() => {
    throw new Error("Boom from the fixture");
  });
});
$("reject-button").addEventListener("click", () => {
  Promise.reject(new Error("Rejected in the fixture"));
});
$("login").addEventListener("submit", (e) => e.preventDefault());
$("profile").addEventListener("submit", (e) => {
  e.preventDefault();
  const vat = $("vat");
  vat.setAttribute("aria-invalid", "true");
  $("vat-error").textContent = "Invalid value";
  $("vat-error").hidden = false;
});
