// Lyceum's only script: the workspace switcher, dialogs, confirmations, row selection and the
// copy button. No inline scripts anywhere (the CSP forbids them); htmx does the requests.
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // Switcher: go to the chosen workspace (or "new organisation").
  document.addEventListener("change", function (e) {
    if (e.target && e.target.id === "switcher" && e.target.value) {
      window.location.assign(e.target.value);
    }
  });

  // Dialogs: [data-open-dialog=id] opens, [data-close-dialog] closes its dialog.
  document.addEventListener("click", function (e) {
    var opener = e.target.closest && e.target.closest("[data-open-dialog]");
    if (opener) {
      var d = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (d && !d.open) { d.showModal(); var first = $("textarea, input:not([type=hidden]), select", d); if (first) { first.focus(); } }
    }
    var closer = e.target.closest && e.target.closest("[data-close-dialog]");
    if (closer) { var dlg = closer.closest("dialog"); if (dlg) { dlg.close(); } }
  });

  // Confirmations: any htmx request from an element with data-confirm asks first, in a modal.
  var pending = null;
  document.addEventListener("htmx:confirm", function (e) {
    var el = e.detail.elt;
    var text = el && el.getAttribute && el.getAttribute("data-confirm");
    if (!text) { return; }
    e.preventDefault();
    pending = e.detail;
    var dlg = document.getElementById("confirm-dialog");
    $("#confirm-text", dlg).textContent = text;
    var yes = $("#confirm-yes", dlg);
    yes.textContent = el.getAttribute("data-confirm-action") || "Remove";
    dlg.showModal();
    $("#confirm-no", dlg).focus();
  });
  document.addEventListener("click", function (e) {
    if (!e.target || !e.target.id) { return; }
    var dlg = document.getElementById("confirm-dialog");
    if (e.target.id === "confirm-yes" && pendingForm) { var f = pendingForm; pendingForm = null; dlg.close(); f.setAttribute("data-confirmed", ""); f.requestSubmit(); return; }
    if (e.target.id === "confirm-yes" && pending) { var p = pending; pending = null; dlg.close(); p.issueRequest(true); }
    if (e.target.id === "confirm-no") { pending = null; pendingForm = null; dlg.close(); }
  });

  // The same for a plain form with data-confirm (no htmx): it submits once confirmed.
  var pendingForm = null;
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var text = form && form.getAttribute && form.getAttribute("data-confirm");
    if (!text || form.hasAttribute("data-confirmed")) { return; }
    e.preventDefault();
    pendingForm = form;
    var dlg = document.getElementById("confirm-dialog");
    $("#confirm-text", dlg).textContent = text;
    $("#confirm-yes", dlg).textContent = form.getAttribute("data-confirm-action") || "Remove";
    dlg.showModal();
    $("#confirm-no", dlg).focus();
  });

  // Course import: the file goes to the JSON API (same origin, the session cookie); the new
  // course's editor opens, or the refusal is shown in the dialog.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form || form.id !== "import-form") { return; }
    e.preventDefault();
    var error = $("#import-error", form);
    var button = $("#import-submit", form);
    error.hidden = true;
    button.disabled = true;
    button.textContent = "Importing…";
    fetch(form.getAttribute("action"), { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (j) { return { status: r.status, json: j }; }); })
      .then(function (res) {
        if (res.status === 201) {
          window.location.assign("/w/" + form.getAttribute("data-ws") + "/courses/" + res.json.id);
          return;
        }
        error.textContent = (res.json && res.json.detail) || "The file could not be imported.";
        error.hidden = false;
        button.disabled = false;
        button.textContent = "Import";
      })
      .catch(function () {
        error.textContent = "The server could not be reached.";
        error.hidden = false;
        button.disabled = false;
        button.textContent = "Import";
      });
  });

  // A dialog whose form came back with errors opens again on load.
  document.addEventListener("DOMContentLoaded", function () {
    $all("dialog[data-open-on-load]").forEach(function (d) { if (!d.open) { d.showModal(); } });
  });

  // Row selection: "Remove (N)" shows the count and appears only when something is selected.
  function refreshSelection() {
    var boxes = $all(".member-select");
    var chosen = boxes.filter(function (b) { return b.checked; });
    var bulk = $("#bulk-remove");
    if (bulk) {
      bulk.textContent = "Remove (" + chosen.length + ")";
      bulk.hidden = chosen.length === 0;
      bulk.setAttribute("data-confirm", "Remove " + chosen.length + " member(s)? They lose access at once.");
    }
    var all = $("#select-all");
    if (all) { all.checked = boxes.length > 0 && chosen.length === boxes.length; }
  }
  document.addEventListener("change", function (e) {
    if (!e.target) { return; }
    if (e.target.id === "select-all") {
      $all(".member-select").forEach(function (b) { b.checked = e.target.checked; });
    }
    if (e.target.id === "select-all" || e.target.classList.contains("member-select")) { refreshSelection(); }
  });
  document.addEventListener("htmx:afterSettle", refreshSelection);
  document.addEventListener("DOMContentLoaded", refreshSelection);

  // Copy the new API key.
  document.addEventListener("click", function (e) {
    if (e.target && e.target.id === "copy-key") {
      var value = $("#new-key-value");
      if (value && navigator.clipboard) {
        navigator.clipboard.writeText(value.textContent.trim()).then(function () { e.target.textContent = "Copied"; });
      }
    }
  });

  // Close a dialog after its htmx form succeeded when it asks to (data-close-on-success).
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (form && form.hasAttribute && form.hasAttribute("data-reset-on-success") && e.detail.successful) { form.reset(); }
  });
})();
