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
// After htmx swaps in a freshly published post, put focus back in the empty composer.
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target && event.detail.target.id === "composer") {
    const box = document.querySelector("#composer textarea");
    if (box) box.focus();
  }
});
