// SPA navigation. history.pushState/replaceState are wrapped once (a marked wrapper is never
// wrapped again); a router that wraps them after us still calls through our wrapper. Routers
// that kept a reference to the native method are caught by the Navigation API where the
// browser has it, by popstate/hashchange, and by the check the click tracker runs after every
// click. All of them funnel into one comparison, so a repeat of the same URL is skipped.

const WRAPPED = Symbol.for("pageguide.wrapped");

export function watchNavigation(onChange, onNotice) {
  const here = () => location.pathname + location.search + location.hash;
  let last = here();
  let timer = 0;
  const check = () => {
    if (here() === last || timer) return false;
    onNotice();
    // Let the app render the new view before we read its title and headings.
    timer = setTimeout(() => {
      timer = 0;
      const from = last;
      last = here();
      if (last !== from) onChange(from, last);
    }, 100);
    return true;
  };
  for (const name of ["pushState", "replaceState"]) {
    const original = history[name];
    if (typeof original !== "function" || original[WRAPPED]) continue;
    const wrapper = function (...args) {
      const result = original.apply(this, args);
      check();
      return result;
    };
    wrapper[WRAPPED] = true;
    history[name] = wrapper;
  }
  addEventListener("popstate", check);
  addEventListener("hashchange", check);
  if (window.navigation && navigation.addEventListener) navigation.addEventListener("currententrychange", check);
  return check;
}
