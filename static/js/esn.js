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

// --- pickers: @people and #hashtags as you type ---------------------------------------------
// A text box with data-picker="text" offers people after "@" and hashtags after "#" (two
// letters on); data-picker="people" offers people for the words after the last comma (the
// invitation box). Arrow keys move, Enter or Tab picks, Escape closes, the mouse works too.
// The box keeps the standard combobox semantics, so screen readers announce the choices.
(function () {
  let counter = 0;
  const TOKEN = /(^|[\s(])([@#])([^\s@#]{2,})$/u;

  function setUp(box) {
    const mode = box.dataset.picker;
    const list = document.createElement("ul");
    list.className = "picker";
    list.id = `picker-${++counter}`;
    list.setAttribute("role", "listbox");
    list.hidden = true;
    box.insertAdjacentElement("afterend", list);
    box.setAttribute("role", "combobox");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-controls", list.id);
    box.setAttribute("aria-expanded", "false");
    let items = [];
    let active = -1;
    let token = null;
    let request = 0;

    function close() {
      list.hidden = true;
      list.replaceChildren();
      items = [];
      active = -1;
      box.setAttribute("aria-expanded", "false");
      box.removeAttribute("aria-activedescendant");
    }

    function current() {
      if (mode === "search") {
        const text = box.value.trim();
        return text.length >= 2 ? { kind: "?", text, start: 0 } : null;
      }
      const before = box.value.slice(0, box.selectionStart);
      if (mode === "people") {
        const start = before.lastIndexOf(",") + 1;
        const text = before.slice(start).trim().replace(/^@/, "");
        return text.length >= 2 ? { kind: "@", text, start } : null;
      }
      const match = before.match(TOKEN);
      if (!match) return null;
      return { kind: match[2], text: match[3], start: before.length - match[3].length - 1 };
    }

    function highlight(index) {
      active = index;
      items.forEach((li, i) => li.setAttribute("aria-selected", i === index ? "true" : "false"));
      if (index >= 0) {
        box.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        box.removeAttribute("aria-activedescendant");
      }
    }

    function pick(index) {
      const choice = items[index];
      if (!choice || !token) return;
      if (mode === "search") {
        window.location.assign(choice.dataset.url);
        return;
      }
      const after = box.value.slice(box.selectionStart);
      let inserted;
      let head = box.value.slice(0, token.start);
      if (mode === "people") {
        inserted = `${head ? head.replace(/\s*$/, " ") : ""}${choice.dataset.handle}, `;
        head = "";
      } else {
        inserted = `${token.kind}${choice.dataset.handle} `;
      }
      box.value = head + inserted + after.replace(/^\S*/, "");
      const caret = (head + inserted).length;
      box.setSelectionRange(caret, caret);
      request += 1; // an answer still on its way must not reopen the list
      token = null;
      close();
      box.focus();
    }

    function show(results) {
      list.replaceChildren();
      items = results.map((result, i) => {
        const li = document.createElement("li");
        li.id = `${list.id}-${i}`;
        li.setAttribute("role", "option");
        li.dataset.handle = result.handle || "";
        li.dataset.url = result.url || "";
        const main = document.createElement("span");
        main.className = "picker-name";
        main.textContent = result.name;
        const more = document.createElement("span");
        more.className = "picker-more";
        if (mode === "search") {
          more.textContent = result.more;
        } else if (token.kind === "#") {
          more.textContent = result.uses ? `${result.uses} ${document.body.dataset.pickerUses}` : "";
        } else {
          const face = document.createElement(result.avatar ? "img" : "span");
          face.className = "avatar avatar-sm" + (result.avatar ? "" : " avatar-initials");
          if (result.avatar) {
            face.src = result.avatar;
            face.alt = "";
          } else {
            face.textContent = result.initials;
            face.setAttribute("aria-hidden", "true");
          }
          li.append(face);
          more.textContent = ["@" + result.handle, result.title, result.department]
            .filter(Boolean)
            .join(" · ");
        }
        li.append(main, more);
        li.addEventListener("mousedown", (event) => {
          event.preventDefault(); // keep the focus in the box
          pick(i);
        });
        return li;
      });
      if (!items.length) return close();
      list.append(...items);
      list.hidden = false;
      box.setAttribute("aria-expanded", "true");
      // The search box: Enter still opens the full results until an item is chosen.
      highlight(mode === "search" ? -1 : 0);
    }

    box.addEventListener("input", () => {
      token = current();
      if (!token) return close();
      const url =
        mode === "search" ? "/pick/search/" : token.kind === "#" ? "/pick/hashtags/" : "/pick/people/";
      const mine = ++request;
      fetch(`${url}?q=${encodeURIComponent(token.text)}`, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : { results: [] }))
        .then((data) => {
          if (mine === request && token) show(data.results);
        })
        .catch(() => close());
    });
    box.addEventListener("keydown", (event) => {
      if (list.hidden) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % items.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight((active <= 0 ? items.length : active) - 1);
      } else if (event.key === "Enter" || (event.key === "Tab" && mode !== "search")) {
        if (active >= 0) {
          event.preventDefault();
          pick(active);
        }
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        request += 1;
        close();
      }
    });
    box.addEventListener("blur", () => setTimeout(close, 150));
  }

  function scan(root) {
    root.querySelectorAll("[data-picker]:not([role=combobox])").forEach(setUp);
  }
  document.addEventListener("DOMContentLoaded", () => scan(document));
  // Forms htmx swaps in (a composer after publishing, a thread after commenting) get theirs.
  document.addEventListener("htmx:load", (event) => scan(event.detail.elt));
})();
