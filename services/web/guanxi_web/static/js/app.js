// Small behaviours on top of pages that already work without JavaScript.
(function () {
  "use strict";

  var body = document.body;

  function setNav(open) {
    body.classList.toggle("nav-open", open);
    document.querySelectorAll("[data-nav-open]").forEach(function (button) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    if (!open && location.hash === "#sidebar") {
      history.replaceState(null, "", location.pathname + location.search);
    }
  }

  function closeMenus(except) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest("[data-nav-open]")) {
      event.preventDefault();
      setNav(true);
      return;
    }
    if (target.closest("[data-nav-close]")) {
      event.preventDefault();
      setNav(false);
      return;
    }
    closeMenus(target.closest("details[data-menu]"));
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details[data-menu][open]");
    if (open) {
      open.removeAttribute("open");
      open.querySelector("summary").focus();
    }
    setNav(false);
  });

  // Copy buttons (hidden until this script shows them, since they need it).
  function showCopyButtons(root) {
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = !navigator.clipboard;
    });
  }
  showCopyButtons(document);
  document.addEventListener("htmx:afterSwap", function (event) {
    showCopyButtons(event.detail.target || document);
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = button.getAttribute("data-copied");
    });
  });

  // The top bar's search: Escape or a click elsewhere closes its suggestions; the arrow keys move
  // between the box and the suggested records.
  function suggestions() {
    return document.getElementById("search-suggestions");
  }
  function closeSuggestions() {
    var panel = suggestions();
    if (panel) panel.innerHTML = "";
  }
  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-search]")) closeSuggestions();
  });
  document.addEventListener("keydown", function (event) {
    var box = event.target.closest && event.target.closest("[data-search]");
    if (!box) return;
    if (event.key === "Escape") {
      closeSuggestions();
      document.getElementById("global-search").focus();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var links = Array.prototype.slice.call(box.querySelectorAll("#search-suggestions a"));
    if (!links.length) return;
    event.preventDefault();
    var at = links.indexOf(document.activeElement);
    var next = event.key === "ArrowDown" ? at + 1 : at - 1;
    if (next < 0) {
      document.getElementById("global-search").focus();
    } else {
      links[Math.min(next, links.length - 1)].focus();
    }
  });

  // After an HTMX navigation: close the drawer and any menu, and move focus to the new content.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "main") {
      setNav(false);
      closeMenus(null);
      closeSuggestions();
      event.detail.target.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
  });
  // A file over the upload limit is refused before it is sent (the server says the same after the redirect).
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-max-bytes]");
    if (!form) return;
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    if (!file || file.size <= Number(form.getAttribute("data-max-bytes"))) return;
    event.preventDefault();
    var error = form.querySelector(".field-error");
    if (!error) return;
    error.querySelector("span").textContent = form.getAttribute("data-too-large");
    error.hidden = false;
    error.closest(".field").classList.add("field--invalid");
    input.setAttribute("aria-invalid", "true");
    input.focus();
  });

  // Lists: the bulk bar shows once a row is ticked (or "all matching"); the header box ticks the page's rows;
  // only the field the chosen action needs is shown. Without this script the bar is simply always there.
  function updateBulk() {
    var form = document.getElementById("bulk-form");
    if (!form) return;
    var ticked = document.querySelectorAll('input.row-check[name="ids"]:checked').length;
    var all = form.querySelector('input[name="scope"]');
    var everything = all && all.checked;
    form.classList.add("is-enhanced");
    form.classList.toggle("is-active", ticked > 0 || everything || form.classList.contains("bulk-bar--open"));
    var count = form.querySelector("[data-bulk-count]");
    if (count && ticked > 0 && !everything) {
      count.textContent = ticked === 1 ? count.getAttribute("data-one") : count.getAttribute("data-many").replace("__N__", ticked);
    }
    var action = form.querySelector("[data-bulk-action]");
    form.querySelectorAll("[data-bulk-needs]").forEach(function (field) {
      field.hidden = !action || field.getAttribute("data-bulk-needs").split(" ").indexOf(action.value) < 0;
    });
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-check-all]")) {
      document.querySelectorAll('input.row-check[name="ids"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches(".row-check") || target.closest("[data-bulk]")) updateBulk();
  });
  document.addEventListener("htmx:afterSwap", updateBulk);
  updateBulk();

  // Forms that ask first (deleting a saved view).
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
