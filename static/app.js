// Back-office behaviour that HTML alone cannot give: keyboard shortcuts, confirm dialogs
// for destructive actions, dismissible flashes, the phone navigation. Loaded from
// /static (the CSP forbids inline scripts). Every page works without it.
(function () {
  "use strict";

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  // j/k move through the rows of the list on the page, Enter opens the current row.
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-list] [data-row]"));
  }
  function move(step) {
    var list = rows();
    if (!list.length) return;
    var cur = list.findIndex(function (r) { return r.classList.contains("is-current"); });
    var next = Math.max(0, Math.min(list.length - 1, cur + step));
    if (cur >= 0) list[cur].classList.remove("is-current");
    list[next].classList.add("is-current");
    list[next].scrollIntoView({ block: "nearest" });
    var link = list[next].querySelector("a[href]");
    if (link) link.focus({ preventScroll: true });
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape") {
      document.querySelectorAll("details[open].usermenu").forEach(function (d) { d.removeAttribute("open"); });
      document.body.classList.remove("nav-open");
      if (typing(e.target) && e.target.type === "search") e.target.blur();
      return;
    }
    if (typing(e.target)) return;
    if (e.key === "/") {
      var search = document.querySelector("[data-page-search]") || document.getElementById("global-search");
      if (search) { e.preventDefault(); search.focus(); search.select(); }
    } else if (e.key === "j") {
      move(1);
    } else if (e.key === "k") {
      move(-1);
    } else if (e.key === "Enter") {
      var cur = document.querySelector("[data-list] [data-row].is-current");
      var link = cur && cur.querySelector("a[href]");
      if (link && document.activeElement !== link) { e.preventDefault(); link.click(); }
    }
  });

  // Destructive actions ask once: a submit button (or form) with data-confirm="message"
  // opens the confirm dialog; the form is submitted only after "Confirm".
  var dialog = null;
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var btn = e.submitter;
    var message = (btn && btn.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (!message || form.dataset.confirmed === "1") {
      delete form.dataset.confirmed;
      return;
    }
    dialog = dialog || document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      if (!window.confirm(message)) { e.preventDefault(); e.stopImmediatePropagation(); }
      return;
    }
    e.preventDefault();
    e.stopImmediatePropagation();
    document.getElementById("confirm-message").textContent = message;
    var ok = document.getElementById("confirm-ok");
    ok.textContent = (btn && btn.getAttribute("data-confirm-label")) || (btn && btn.textContent.trim()) || "Confirm";
    dialog.returnValue = "";
    dialog.onclose = function () {
      if (dialog.returnValue !== "ok") return;
      form.dataset.confirmed = "1";
      if (form.requestSubmit) form.requestSubmit(btn || undefined); else form.submit();
    };
    dialog.showModal();
    document.getElementById("confirm-ok").focus();
  }, true);

  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var dismiss = t.closest("[data-dismiss]");
    if (dismiss) { dismiss.parentElement.remove(); return; }
    if (t.closest("[data-nav-toggle]")) {
      var open = document.body.classList.toggle("nav-open");
      t.closest("[data-nav-toggle]").setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    var copy = t.closest("[data-copy]");
    if (copy && navigator.clipboard) {
      navigator.clipboard.writeText(copy.getAttribute("data-copy")).then(function () {
        var was = copy.textContent;
        copy.textContent = "Copied";
        setTimeout(function () { copy.textContent = was; }, 1500);
      });
      return;
    }
    if (document.body.classList.contains("nav-open") && !t.closest(".sidenav")) {
      document.body.classList.remove("nav-open");
    }
    document.querySelectorAll("details[open].usermenu").forEach(function (d) {
      if (!d.contains(t)) d.removeAttribute("open");
    });
  });

  // htmx errors that are not swapped in (5xx, 403, ...) still tell the user something.
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail && e.detail.xhr;
    var msg = "Something went wrong" + (xhr ? " (" + xhr.status + ")" : "") + ". Reload the page and try again.";
    if (xhr && xhr.status === 403) msg = "You are not allowed to do that, or the page has expired. Reload and try again.";
    var box = document.querySelector(".flashes");
    if (!box) {
      box = document.createElement("div");
      box.className = "flashes";
      var main = document.getElementById("main");
      if (main) main.insertBefore(box, main.firstChild);
    }
    var f = document.createElement("div");
    f.className = "flash flash-error";
    f.setAttribute("role", "alert");
    f.textContent = msg;
    box.appendChild(f);
  });
  document.addEventListener("htmx:sendError", function () {
    document.dispatchEvent(new CustomEvent("htmx:responseError", { detail: {} }));
  });
})();

// Orders list: row selection and the bulk bar, packing slips' Print button, exports'
// download when ready.
(function () {
  "use strict";

  function bulkForms(root) {
    var forms = Array.prototype.slice.call((root || document).querySelectorAll("[data-bulk-form]"));
    if (root && root.matches && root.matches("[data-bulk-form]")) forms.push(root);
    return forms;
  }

  function updateBulk(form) {
    var boxes = Array.prototype.slice.call(form.querySelectorAll("[data-select]"));
    var n = boxes.filter(function (b) { return b.checked; }).length;
    boxes.forEach(function (b) {
      var row = b.closest("tr");
      if (row) row.classList.toggle("is-selected", b.checked);
    });
    var all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = n > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
    var bar = form.querySelector("[data-bulk-bar]");
    if (bar) bar.hidden = n === 0;
    var count = form.querySelector("[data-bulk-count]");
    if (count) count.textContent = n + " selected";
    var cancel = form.querySelector("[data-bulk-cancel]");
    if (cancel) {
      var what = n === 1 ? "this order" : "these " + n + " orders";
      var msg = "Cancel " + what + "? Their reserved stock goes back to available.";
      var refund = form.querySelector("input[name=refund]");
      msg += refund && refund.checked ? " What was paid is refunded." : " Payments are not refunded.";
      cancel.setAttribute("data-confirm", msg);
      cancel.setAttribute("data-confirm-label", n === 1 ? "Cancel 1 order" : "Cancel " + n + " orders");
    }
  }

  function init(root) { bulkForms(root).forEach(updateBulk); }
  init(document);
  document.addEventListener("htmx:load", function (e) { init(e.detail && e.detail.elt); });
  document.addEventListener("htmx:afterSettle", function () {
    var link = document.querySelector("a[data-auto-download]:not([data-clicked])");
    if (link) { link.setAttribute("data-clicked", "1"); link.click(); }
  });

  document.addEventListener("change", function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var form = t.closest("[data-bulk-form]");
    if (!form) return;
    if (t.matches("[data-select-all]")) {
      form.querySelectorAll("[data-select]").forEach(function (b) { b.checked = t.checked; });
    }
    updateBulk(form);
  });

  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    if (t.closest("[data-print]")) { window.print(); return; }
    var clear = t.closest("[data-bulk-clear]");
    if (clear) {
      var form = clear.closest("[data-bulk-form]");
      form.querySelectorAll("[data-select], [data-select-all]").forEach(function (b) { b.checked = false; });
      form.querySelectorAll("details[open]").forEach(function (d) { d.removeAttribute("open"); });
      updateBulk(form);
    }
  });

  // The dialog's dismiss button must not read "Cancel" next to "Cancel 3 orders".
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!(t instanceof Element) || !t.closest("[data-bulk-cancel]")) return;
    var dialog = document.getElementById("confirm-dialog");
    var dismiss = dialog && dialog.querySelector("button[value=cancel]");
    if (!dismiss) return;
    var was = dismiss.textContent;
    dismiss.textContent = "Keep them";
    dialog.addEventListener("close", function () { dismiss.textContent = was; }, { once: true });
  }, true);

  // A submit that gets here has been confirmed in the dialog (app.js stops the others):
  // the server then cancels without its own confirmation page.
  document.addEventListener("submit", function (e) {
    var field = e.target.querySelector && e.target.querySelector("[data-js-confirmed]");
    if (field) field.value = "1";
  });

  // x selects the current row of the list (j/k move).
  document.addEventListener("keydown", function (e) {
    if (e.key !== "x" || e.ctrlKey || e.metaKey || e.altKey) return;
    var el = e.target;
    if (el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable)) return;
    var box = document.querySelector("[data-list] [data-row].is-current [data-select]");
    if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change", { bubbles: true })); }
  });
})();

// Order pages: the fulfillment form's steppers and SKU/barcode scanning (a scanner types
// the code and Enter; each scan adds one to its line, up to what is left).
(function () {
  "use strict";

  function qtyInput(line) { return line && line.querySelector(".qty-input"); }

  function bump(input, step) {
    var max = parseInt(input.getAttribute("max"), 10);
    var cur = parseInt(input.value, 10);
    if (isNaN(cur)) cur = 0;
    var next = Math.max(0, Math.min(isNaN(max) ? cur + step : max, cur + step));
    input.value = String(next);
    return next !== cur;
  }

  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var btn = t.closest("[data-step]");
    if (!btn) return;
    var input = qtyInput(btn.closest(".fulfill-line"));
    if (input) bump(input, parseInt(btn.getAttribute("data-step"), 10));
  });

  var scanned = false;
  document.addEventListener("keydown", function (e) {
    var input = e.target;
    if (!(input instanceof Element) || !input.matches("[data-scan]") || e.key !== "Enter") return;
    e.preventDefault(); // Enter in the scan box scans; it never submits the form
    var code = input.value.trim().toUpperCase();
    var status = document.getElementById("scan-status");
    input.value = "";
    if (!code) return;
    if (!scanned) {
      // The first scan starts counting from zero: the defaults are "everything left".
      scanned = true;
      document.querySelectorAll(".fulfill-line .qty-input").forEach(function (q) { q.value = "0"; });
    }
    var line = null;
    document.querySelectorAll(".fulfill-line[data-sku]").forEach(function (l) {
      if (!line && l.getAttribute("data-sku").toUpperCase() === code && qtyInput(l)) line = l;
    });
    input.classList.remove("scan-ok", "scan-bad");
    void input.offsetWidth;
    if (!line) {
      input.classList.add("scan-bad");
      if (status) status.textContent = code + " is not a line of this order left to ship.";
      return;
    }
    var q = qtyInput(line);
    if (bump(q, 1)) {
      input.classList.add("scan-ok");
      if (status) status.textContent = code + ": " + q.value + " of " + q.getAttribute("max") + ".";
    } else {
      input.classList.add("scan-bad");
      if (status) status.textContent = code + ": all " + q.getAttribute("max") + " already counted.";
    }
    line.classList.add("flash-hit");
    setTimeout(function () { line.classList.remove("flash-hit"); }, 400);
  });
})();

// Saved views: drag a tab before another to reorder the tabs; the new order is sent to
// /orders/views/tabs (the manage page's arrows do the same without JavaScript).
(function () {
  "use strict";
  var dragged = null;

  function strip(tabs) {
    tabs.querySelectorAll(".drop-before").forEach(function (t) { t.classList.remove("drop-before"); });
  }
  function save(tabs) {
    var body = new URLSearchParams();
    tabs.querySelectorAll("[data-view-id]").forEach(function (t) { body.append("ids", t.getAttribute("data-view-id")); });
    fetch("/orders/views/tabs", {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "X-CSRF-Token": tabs.getAttribute("data-csrf"), "X-Requested-With": "fetch" }
    }).then(function (r) {
      if (!r.ok) document.dispatchEvent(new CustomEvent("htmx:responseError", { detail: {} }));
    });
  }

  document.addEventListener("dragstart", function (e) {
    var tab = e.target.closest && e.target.closest("[data-view-tabs] [data-view-id]");
    if (!tab) return;
    dragged = tab;
    tab.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", tab.getAttribute("data-view-id"));
  });
  document.addEventListener("dragover", function (e) {
    var over = dragged && e.target.closest && e.target.closest("[data-view-tabs] [data-view-id]");
    if (!over || over === dragged || over.parentNode !== dragged.parentNode) return;
    e.preventDefault();
    strip(over.parentNode);
    over.classList.add("drop-before");
  });
  document.addEventListener("drop", function (e) {
    var over = dragged && e.target.closest && e.target.closest("[data-view-tabs] [data-view-id]");
    if (!over || over === dragged || over.parentNode !== dragged.parentNode) return;
    e.preventDefault();
    var tabs = over.parentNode;
    tabs.insertBefore(dragged, over);
    strip(tabs);
    save(tabs);
  });
  document.addEventListener("dragend", function () {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    strip(dragged.parentNode);
    dragged = null;
  });
})();
