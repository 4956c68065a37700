// Small progressive enhancements; every page works without this file.
document.addEventListener("keydown", (event) => {
  // Escape closes the profile menu.
  if (event.key === "Escape") {
    document.querySelectorAll("details.profile-menu[open]").forEach((menu) => {
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  }
});
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.profile-menu[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.open = false;
  });
});
// Every htmx form answers (base.html's htmx-config swaps a 422, the form with its errors):
// focus goes to the first field in error, or to the form's own error message, so the
// person sees and hears what to fix. After a success in the composer, focus returns to
// its empty box.
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  const swapped = target && target.isConnected ? target : document.getElementById(target && target.id);
  const alert = document.getElementById("htmx-alert");
  if (alert) alert.hidden = true;
  if (event.detail.xhr && event.detail.xhr.status === 422 && swapped) {
    const field = swapped.querySelector("[aria-invalid='true']");
    const message = swapped.querySelector(".form-errors, .field-error");
    const first = field || message;
    if (first) {
      if (first === message && !message.hasAttribute("tabindex")) message.setAttribute("tabindex", "-1");
      first.focus();
      first.scrollIntoView({ block: "center" });
    }
    return;
  }
  if (swapped && swapped.id === "composer") {
    const box = swapped.querySelector("textarea");
    if (box) box.focus();
  }
});
// Any other failure (403, 404, 500, the network) changes nothing on the page: say so where
// the person is looking instead of leaving a button that seems dead.
function announceFailure(text) {
  const alert = document.getElementById("htmx-alert");
  if (!alert) return;
  alert.textContent = text;
  alert.hidden = false;
  alert.scrollIntoView({ block: "nearest" });
}
document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr ? event.detail.xhr.status : 0;
  if (status !== 422) announceFailure(document.body.dataset.htmxFailed);
});
document.addEventListener("htmx:sendError", () => announceFailure(document.body.dataset.htmxOffline));
