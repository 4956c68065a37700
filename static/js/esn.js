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
      // An answer may arrive after the person moved to an option (the answer for the whole
      // word after one for its first letters): the same option stays chosen.
      const chosen = active >= 0 && items[active] ? items[active].dataset.url + "|" + items[active].dataset.handle : null;
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
      const kept = chosen ? items.findIndex((li) => li.dataset.url + "|" + li.dataset.handle === chosen) : -1;
      // The search box: Enter still opens the full results until an item is chosen.
      highlight(kept >= 0 ? kept : mode === "search" ? -1 : 0);
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

// --- composer and comment boxes (issue 12) ---------------------------------------------------
// The composer stays one line until used; Ctrl/Cmd+Enter sends a composer or a comment;
// leaving a page with text that was never sent asks first; chosen images show as previews,
// each with a description (alt text) and a Remove button, before anything is sent.
(function () {
  let counter = 0;
  let submitting = false; // a full-page form on its way: leaving is the point

  // Compact until used. A composer with text, chosen images, a ticked question, a chosen
  // audience or an error stays open; focus in its text or options opens it. The Publish
  // button alone does not open it: the click would land on a moved button.
  function hasContent(form) {
    const box = form.querySelector("textarea[name=body]");
    const question = form.querySelector("input[name=is_question]");
    const audience = form.querySelector("select[name=group]");
    const audienceDefault = audience && [...audience.options].find((o) => o.defaultSelected);
    return Boolean(
      (box && box.value.trim()) ||
        form.querySelector(".image-preview, .form-errors, .field-error:not([hidden]), .composer-note") ||
        (question && question.checked) ||
        (audience && audience.value !== (audienceDefault ? audienceDefault.value : audience.options[0]?.value))
    );
  }

  function fold(form) {
    const focused = form.contains(document.activeElement) && !document.activeElement.matches(".composer-publish");
    form.classList.toggle("is-compact", !focused && !form.composerPressed && !hasContent(form));
  }

  function setUpComposer(form) {
    if (form.dataset.composerReady) return;
    form.dataset.composerReady = "1";
    form.querySelectorAll(".composer-shortcut").forEach((hint) => (hint.hidden = false));
    fold(form);
    form.addEventListener("focusin", (event) => {
      if (!event.target.matches(".composer-publish")) form.classList.remove("is-compact");
    });
    form.addEventListener("focusout", () => setTimeout(() => fold(form), 0));
    // A click on the card's padding moves the focus to the page: not a reason to fold.
    form.addEventListener("pointerdown", () => (form.composerPressed = true));
    document.addEventListener("pointerup", () => {
      if (!form.composerPressed) return;
      form.composerPressed = false;
      setTimeout(() => fold(form), 0);
    });
  }

  // Ctrl+Enter (Cmd+Enter on a Mac) in a composer, a comment box or the post editor sends it.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.defaultPrevented) return;
    const box = event.target;
    if (!(box instanceof HTMLTextAreaElement) || !box.form) return;
    if (!box.form.matches("[data-composer], .comment-form, [data-unsent]")) return;
    event.preventDefault();
    box.form.requestSubmit(box.form.querySelector("button[type=submit]") || undefined);
  });

  // Unsent text: a composer or comment box with text in it (also after a refused send: it
  // is still not published), or an edit form that differs from what is saved.
  function changed(form) {
    if (form.matches("[data-unsent=edit]")) {
      if (form.hasAttribute("data-unsaved") || form.querySelector(".image-preview:not(.existing-image)")) return true;
      return [...form.elements].some((field) =>
        field.type === "checkbox" ? field.checked !== field.defaultChecked : "defaultValue" in field && field.type !== "hidden" && field.type !== "file" && field.value !== field.defaultValue
      );
    }
    if (form.querySelector(".image-preview")) return true;
    return [...form.querySelectorAll("textarea")].some((box) => box.value.trim() !== "");
  }
  window.addEventListener("beforeunload", (event) => {
    if (submitting) return;
    const forms = document.querySelectorAll("form[data-unsent], form.comment-form");
    if (![...forms].some(changed)) return;
    event.preventDefault();
    event.returnValue = ""; // older browsers need a value to ask
  });
  document.addEventListener("submit", (event) => {
    // Sending the text itself with a plain form leaves the page on purpose (htmx forms stay);
    // any other form (search, sign out) still asks about the unsent text.
    const form = event.target;
    if (!form.hasAttribute("hx-post") && form.matches("[data-unsent], .comment-form")) submitting = true;
  });
  window.addEventListener("pageshow", () => (submitting = false));

  // Image previews. The file input keeps the chosen files (rebuilt with DataTransfer when one
  // is removed or more are added); each preview's description travels as image_alt, in the
  // same order. The server checks everything again.
  const ALLOWED = ["image/jpeg", "image/png", "image/gif", "image/webp"];

  function setUpImagePicker(picker) {
    if (picker.dataset.pickerReady) return;
    picker.dataset.pickerReady = "1";
    const input = picker.querySelector("input[type=file]");
    const list = picker.querySelector(".image-previews");
    const template = picker.querySelector(".image-preview-template");
    const message = picker.querySelector(".image-picker-message");
    if (!input || !list || !template || typeof DataTransfer === "undefined") return;
    const max = Number(picker.dataset.maxImages) || 4;
    const maxBytes = Number(picker.dataset.maxBytes) || Infinity;
    // Descriptions written before a refused send, by file name (the files must be chosen again).
    const earlier = new Map(
      [...picker.querySelectorAll("[data-chosen-name]")].map((li) => [li.dataset.chosenName, li.dataset.chosenAlt])
    );
    let chosen = [];

    function room() {
      // On the edit page the post's own images count, unless ticked for removal.
      const form = input.form;
      const present = form
        ? [...form.querySelectorAll(".existing-image")].filter((row) => !row.querySelector("input[type=checkbox]:checked")).length
        : 0;
      return max - present - chosen.length;
    }

    function sync() {
      const transfer = new DataTransfer();
      chosen.forEach((entry) => transfer.items.add(entry.file));
      input.files = transfer.files;
      list.hidden = chosen.length === 0;
    }

    function say(lines) {
      message.textContent = lines.join(" ");
      message.hidden = lines.length === 0;
    }

    function add(file) {
      const row = template.content.firstElementChild.cloneNode(true);
      const url = URL.createObjectURL(file);
      const id = `image-alt-new-${++counter}`;
      const thumb = document.createElement("img");
      thumb.className = "image-preview-thumb";
      thumb.alt = ""; // the description field next to it names the file
      thumb.src = url;
      row.prepend(thumb);
      row.querySelector(".image-preview-name").textContent = file.name;
      row.querySelector("label").htmlFor = id;
      const alt = row.querySelector("input[name=image_alt]");
      alt.id = id;
      alt.value = earlier.get(file.name) || "";
      row.querySelector(".image-preview-remove-name").textContent = ` ${file.name}`;
      const entry = { file, row, url };
      row.querySelector(".image-preview-remove").addEventListener("click", () => {
        const next = row.nextElementSibling || row.previousElementSibling;
        URL.revokeObjectURL(url);
        chosen = chosen.filter((other) => other !== entry);
        row.remove();
        sync();
        say([]);
        (next ? next.querySelector(".image-preview-remove") : input).focus();
      });
      list.append(row);
      chosen.push(entry);
    }

    input.addEventListener("change", () => {
      const picked = [...input.files];
      const problems = [];
      let tooMany = false;
      picked.forEach((file) => {
        if (!ALLOWED.includes(file.type)) {
          problems.push(picker.dataset.msgType.replace("{name}", file.name));
        } else if (file.size > maxBytes) {
          problems.push(picker.dataset.msgTooBig.replace("{name}", file.name));
        } else if (room() <= 0) {
          tooMany = true;
        } else {
          add(file);
        }
      });
      if (tooMany) problems.push(picker.dataset.msgTooMany);
      sync();
      say(problems);
      const form = input.form;
      if (form && form.matches("[data-composer]")) form.classList.remove("is-compact");
    });
  }

  function scan(root) {
    root.querySelectorAll("form[data-composer]").forEach(setUpComposer);
    root.querySelectorAll("[data-image-picker]").forEach(setUpImagePicker);
  }
  // esn.js is deferred: the page is parsed, so the composer folds before the first paint
  // in most cases instead of jumping after DOMContentLoaded.
  scan(document);
  // A composer htmx swaps in (after publishing, or with its errors) gets the same.
  document.addEventListener("htmx:load", (event) => {
    if (event.detail.elt instanceof Element) {
      if (event.detail.elt.matches("form[data-composer]")) setUpComposer(event.detail.elt);
      if (event.detail.elt.matches("[data-image-picker]")) setUpImagePicker(event.detail.elt);
      scan(event.detail.elt);
    }
  });
})();
