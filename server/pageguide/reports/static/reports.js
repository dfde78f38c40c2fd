// Niceties only: every report works without this file.
// A site picked from the list applies at once (the Apply button is for no-script use), and
// the session timeline can hide kinds of entries.
document.documentElement.classList.add("js");

for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}

for (const box of document.querySelectorAll("input[data-timeline-kind]")) {
  box.addEventListener("change", () => {
    const kind = box.dataset.timelineKind;
    for (const item of document.querySelectorAll(`#timeline > li[data-group="${kind}"]`)) {
      item.hidden = !box.checked;
    }
  });
}

for (const filter of document.querySelectorAll(".timeline-filter[hidden]")) {
  filter.hidden = false;
}
