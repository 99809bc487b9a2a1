// The Course Editor: our own script, no framework, nothing loaded from elsewhere. It edits the
// course the page carries (#course-data) in memory — modules and blocks added, edited, removed,
// reordered by dragging (pointer events, so mouse, pen and touch alike) or with the Move up /
// Move down buttons (keyboard) — and saves the draft whole through the JSON API with the revision
// it was read at. A `stale` answer keeps every local edit and says so; leaving with unsaved
// changes asks first.
(function () {
  "use strict";

  var root = document.getElementById("editor");
  var data = document.getElementById("course-data");
  if (!root || !data) { return; }
  var course = JSON.parse(data.textContent);
  var editable = root.getAttribute("data-editable") === "true";
  var ws = root.getAttribute("data-ws");
  var csrf = root.getAttribute("data-csrf");
  var dirty = false;
  var saving = false;

  var KINDS = { slide: "Slide", media: "Media", quiz: "Quiz", simulation: "Simulation" };
  // Blocks shown open (their fields); the others show their heading only, so a long course
  // stays a list one can scan and reorder.
  var open = new WeakSet();

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { e.textContent = attrs[k]; }
      else if (k === "class") { e.className = attrs[k]; }
      else if (attrs[k] === true) { e.setAttribute(k, ""); }
      else if (attrs[k] !== false && attrs[k] !== null && attrs[k] !== undefined) { e.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { e.appendChild(c); } });
    return e;
  }

  var uid = 0;
  function nextId(prefix) { uid += 1; return prefix + "-" + uid; }

  function setState(text) {
    var s = document.getElementById("save-state");
    if (s) { s.textContent = text; }
  }

  function markDirty() {
    dirty = true;
    setState("Unsaved changes");
    var b = document.getElementById("save-draft");
    if (b) { b.disabled = false; }
  }

  function notice(kind, text, extra) {
    var n = document.getElementById("editor-notice");
    n.innerHTML = "";
    if (!text) { return; }
    var p = el("p", { class: "flash flash-" + kind, role: kind === "error" ? "alert" : "status", text: text });
    if (extra) { p.appendChild(document.createTextNode(" ")); p.appendChild(extra); }
    n.appendChild(p);
  }

  // --- fields bound to the model -------------------------------------------------------------

  function field(label, value, onInput, opts) {
    opts = opts || {};
    var id = nextId("f");
    var input;
    if (opts.multiline) {
      input = el("textarea", { id: id, rows: opts.rows || 3, disabled: !editable });
      input.value = value || "";
    } else {
      input = el("input", { id: id, type: opts.type || "text", disabled: !editable,
        min: opts.min, max: opts.max, step: opts.step, placeholder: opts.placeholder || null });
      if (opts.type === "checkbox") { input.checked = !!value; } else { input.value = value === null || value === undefined ? "" : value; }
    }
    input.addEventListener(opts.type === "checkbox" ? "change" : "input", function () {
      onInput(opts.type === "checkbox" ? input.checked : input.value);
      markDirty();
      if (opts.after) { opts.after(); }
    });
    var wrap = el("div", { class: "field" + (opts.type === "checkbox" ? " field-check" : "") + (opts.cls ? " " + opts.cls : "") });
    if (opts.type === "checkbox") { wrap.appendChild(input); wrap.appendChild(el("label", { for: id, text: label })); }
    else { wrap.appendChild(el("label", { for: id, text: label })); wrap.appendChild(input); }
    return wrap;
  }

  function numberOrNull(v) {
    var t = String(v).trim();
    if (t === "") { return null; }
    var n = Number(t);
    return isFinite(n) ? n : t; // a non-number is sent as typed: the server says what is wrong
  }

  function lines(text) { return String(text).split("\n").map(function (l) { return l.trim(); }).filter(function (l) { return l; }); }

  function button(text, cls, onClick, attrs) {
    var b = el("button", Object.assign({ type: "button", class: cls, text: text, disabled: !editable }, attrs || {}));
    b.addEventListener("click", onClick);
    return b;
  }

  function move(list, i, delta) {
    var j = i + delta;
    if (j < 0 || j >= list.length) { return false; }
    var item = list.splice(i, 1)[0];
    list.splice(j, 0, item);
    return true;
  }

  // --- markdown preview (rendered and sanitised by the server) ---------------------------------

  var previewTimers = new WeakMap();
  function renderMarkdown(markdown, target) {
    var body = new URLSearchParams();
    body.set("csrf", csrf);
    body.set("markdown", markdown || "");
    return fetch("/w/" + ws + "/markdown-preview", { method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf } })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { target.innerHTML = html; });
  }
  function schedulePreview(markdown, target) {
    clearTimeout(previewTimers.get(target));
    previewTimers.set(target, setTimeout(function () { renderMarkdown(markdown, target); }, 250));
  }

  // --- media: uploaded to the workspace's media through the API, shown by id -----------------

  function mediaPicker(label, current, onChange) {
    var id = nextId("m");
    var wrap = el("div", { class: "field media-picker" });
    var show = el("div", { class: "media-current" });
    function showMedia(mediaId) {
      show.innerHTML = "";
      if (!mediaId) { show.appendChild(el("span", { class: "hint", text: "None chosen." })); return; }
      show.appendChild(el("img", { src: "/media/" + mediaId, alt: "", class: "media-thumb" }));
      show.appendChild(el("code", { class: "media-id", text: mediaId }));
      if (editable) {
        show.appendChild(button("Remove", "link", function () { onChange(null); markDirty(); showMedia(null); }));
      }
    }
    var input = el("input", { type: "file", id: id, class: "media-upload", disabled: !editable,
      accept: "image/png,image/jpeg,image/gif,image/webp,audio/*,video/mp4,video/webm" });
    var error = el("p", { class: "field-error", role: "alert", hidden: true });
    input.addEventListener("change", function () {
      if (!input.files || !input.files[0]) { return; }
      var form = new FormData();
      form.append("file", input.files[0]);
      error.hidden = true;
      fetch("/api/v1/workspaces/" + ws + "/media", { method: "POST", body: form, credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (j) { return { status: r.status, json: j }; }); })
        .then(function (res) {
          if (res.status === 201) { onChange(res.json.id); markDirty(); showMedia(res.json.id); }
          else { error.textContent = problemText(res.json); error.hidden = false; }
          input.value = "";
        });
    });
    wrap.appendChild(el("label", { for: id, text: label }));
    wrap.appendChild(show);
    wrap.appendChild(input);
    wrap.appendChild(error);
    showMedia(current);
    return wrap;
  }

  // --- blocks ---------------------------------------------------------------------------------

  function blockEditor(b) {
    var box = el("div", { class: "block-fields" });
    if (b.kind === "slide") {
      var preview = el("div", { class: "markdown-preview", "aria-label": "Preview", "aria-live": "polite" });
      box.appendChild(field("Markdown", b.markdown, function (v) { b.markdown = v; schedulePreview(v, preview); },
        { multiline: true, rows: 6, cls: "slide-markdown" }));
      box.appendChild(el("div", { class: "preview-label hint", text: "Preview" }));
      box.appendChild(preview);
      renderMarkdown(b.markdown, preview);
      box.appendChild(field("Narration (spoken)", b.narration, function (v) { b.narration = v || null; }, { multiline: true, rows: 2 }));
      box.appendChild(mediaPicker("Image", b.image_id, function (id) { b.image_id = id; }));
    } else if (b.kind === "media") {
      box.appendChild(mediaPicker("Image, audio or video", b.media_id, function (id) { b.media_id = id || ""; }));
      box.appendChild(field("Caption", b.caption, function (v) { b.caption = v || null; }));
    } else if (b.kind === "quiz") {
      b.questions = b.questions || [];
      var qs = el("ol", { class: "questions" });
      b.questions.forEach(function (q, qi) {
        var choices = el("ul", { class: "choices" });
        q.choices.forEach(function (c, ci) {
          var id = nextId("c");
          var check = el("input", { type: "checkbox", id: id, class: "choice-correct", disabled: !editable });
          check.checked = q.correct.indexOf(ci) >= 0;
          check.addEventListener("change", function () {
            q.correct = q.correct.filter(function (x) { return x !== ci; });
            if (check.checked) { q.correct.push(ci); q.correct.sort(); }
            markDirty();
          });
          var text = el("input", { type: "text", class: "choice-text", value: c, "aria-label": "Choice " + (ci + 1), disabled: !editable });
          text.addEventListener("input", function () { q.choices[ci] = text.value; markDirty(); });
          choices.appendChild(el("li", {}, [check, el("label", { for: id, class: "visually-hidden", text: "Correct" }), text,
            button("Remove", "link", function () {
              q.choices.splice(ci, 1);
              q.correct = q.correct.filter(function (x) { return x !== ci; }).map(function (x) { return x > ci ? x - 1 : x; });
              markDirty(); render();
            }, { "aria-label": "Remove choice " + (ci + 1) })]));
        });
        qs.appendChild(el("li", { class: "question" }, [
          field("Question", q.prompt, function (v) { q.prompt = v; }, { cls: "question-prompt" }),
          el("p", { class: "hint", text: "Tick the correct choices." }),
          choices,
          button("+ Choice", "secondary add-choice", function () { q.choices.push(""); markDirty(); render(); }),
          button("Remove question", "link", function () { b.questions.splice(qi, 1); markDirty(); render(); })
        ]));
      });
      box.appendChild(qs);
      box.appendChild(button("+ Question", "secondary add-question", function () {
        b.questions.push({ prompt: "", choices: ["", ""], correct: [0] }); markDirty(); render();
      }));
    } else if (b.kind === "simulation") {
      b.persona = b.persona || { name: "", role: "", personality: "" };
      box.appendChild(el("fieldset", { class: "persona" }, [
        el("legend", { text: "Persona" }),
        field("Name", b.persona.name, function (v) { b.persona.name = v; }, { cls: "persona-name" }),
        field("Role", b.persona.role, function (v) { b.persona.role = v; }),
        field("Personality", b.persona.personality, function (v) { b.persona.personality = v; }, { multiline: true, rows: 2 }),
        field("Voice", b.persona.voice, function (v) { b.persona.voice = v.trim() || undefined; })
      ]));
      box.appendChild(field("Scenario (what the learner is told)", b.scenario, function (v) { b.scenario = v; }, { multiline: true }));
      box.appendChild(field("Objective (what the learner must achieve)", b.objective, function (v) { b.objective = v; }, { multiline: true, rows: 2 }));
      box.appendChild(field("Hidden instructions for the persona", b.instructions, function (v) { b.instructions = v; }, { multiline: true }));
      box.appendChild(field("Opening line", b.opening_line, function (v) { b.opening_line = v; }, { cls: "opening-line" }));
      box.appendChild(field("Max turns", b.max_turns, function (v) { b.max_turns = numberOrNull(v); }, { type: "number", min: 1, max: 200 }));
      box.appendChild(field("Time limit (seconds)", b.time_limit_s, function (v) { b.time_limit_s = numberOrNull(v); }, { type: "number", min: 10, max: 14400 }));
      box.appendChild(field("Model (empty: the workspace default)", b.model, function (v) { b.model = v.trim() || null; }));
      box.appendChild(field("Scripted lines (one per line; spoken in order when no AI provider is configured)",
        (b.scripted_lines || []).join("\n"), function (v) { b.scripted_lines = lines(v); }, { multiline: true, rows: 4, cls: "scripted-lines" }));
    }
    return box;
  }

  function toggle(b) {
    var t = el("button", { type: "button", class: "link toggle-block", "aria-expanded": open.has(b) ? "true" : "false",
      text: open.has(b) ? "Close" : (editable ? "Edit" : "Show") });
    t.addEventListener("click", function () { if (open.has(b)) { open.delete(b); } else { open.add(b); } render(); });
    return t;
  }

  function newBlock(kind) {
    if (kind === "slide") { return { kind: "slide", markdown: "" }; }
    if (kind === "media") { return { kind: "media", media_id: "" }; }
    if (kind === "quiz") { return { kind: "quiz", questions: [{ prompt: "", choices: ["", ""], correct: [0] }] }; }
    return { kind: "simulation", persona: { name: "", role: "", personality: "" }, scenario: "", objective: "",
      instructions: "", opening_line: "", scripted_lines: [] };
  }

  function blockTitle(b) {
    if (b.kind === "slide") { var first = lines(b.markdown || "")[0] || ""; return first.replace(/^#+\s*/, "") || "Slide"; }
    if (b.kind === "simulation") { return (b.persona && b.persona.name ? "Role-play with " + b.persona.name : "Simulation"); }
    if (b.kind === "quiz") { return "Quiz · " + (b.questions || []).length + " question(s)"; }
    return "Media";
  }

  // --- dragging (pointer events) --------------------------------------------------------------

  var drag = null;
  function startDrag(e, kind, mi, bi) {
    if (!editable || e.button !== 0) { return; }
    e.preventDefault();
    drag = { kind: kind, mi: mi, bi: bi, target: null };
    document.body.classList.add("dragging");
    var item = e.target.closest(kind === "block" ? ".block" : ".module");
    if (item) { item.classList.add("drag-source"); }
  }
  document.addEventListener("pointermove", function (e) {
    if (!drag) { return; }
    var under = document.elementFromPoint(e.clientX, e.clientY);
    $all(".drop-before, .drop-after").forEach(function (x) { x.classList.remove("drop-before", "drop-after"); });
    drag.target = null;
    if (!under) { return; }
    var sel = drag.kind === "block" ? ".block, .blocks" : ".module";
    var over = under.closest(sel);
    if (!over) { return; }
    if (over.classList.contains("blocks")) {
      drag.target = { mi: Number(over.getAttribute("data-module")), bi: null };
      return;
    }
    var rect = over.getBoundingClientRect();
    var after = e.clientY > rect.top + rect.height / 2;
    over.classList.add(after ? "drop-after" : "drop-before");
    drag.target = { mi: Number(over.getAttribute("data-module")), bi: drag.kind === "block" ? Number(over.getAttribute("data-block")) : null, after: after };
  });
  document.addEventListener("pointerup", function () {
    if (!drag) { return; }
    var d = drag;
    drag = null;
    document.body.classList.remove("dragging");
    var t = d.target;
    if (!t) { render(); return; }
    var modules = course.draft.modules;
    if (d.kind === "module") {
      var to = t.mi + (t.after ? 1 : 0);
      if (to > d.mi) { to -= 1; }
      if (to !== d.mi) { modules.splice(to, 0, modules.splice(d.mi, 1)[0]); markDirty(); }
    } else {
      var block = modules[d.mi].blocks[d.bi];
      var dest = modules[t.mi].blocks;
      var at = t.bi === null ? dest.length : t.bi + (t.after ? 1 : 0);
      if (t.mi === d.mi && at > d.bi) { at -= 1; }
      if (t.mi !== d.mi || at !== d.bi) {
        modules[d.mi].blocks.splice(d.bi, 1);
        dest.splice(at, 0, block);
        markDirty();
      }
    }
    render();
  });

  function $all(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }

  // --- the page ---------------------------------------------------------------------------------

  function rubricSection() {
    var r = course.draft.rubric;
    var total = r.criteria.reduce(function (s, c) { var w = Number(c.weight); return s + (isFinite(w) && w > 0 ? w : 0); }, 0);
    var list = el("ol", { id: "criteria", class: "criteria" });
    r.criteria.forEach(function (c, i) {
      var w = Number(c.weight);
      var share = total > 0 && isFinite(w) && w > 0 ? Math.round(w / total * 1000) / 10 : 0;
      var vague = (c.guidance || "").trim().length < 20;
      list.appendChild(el("li", { class: "criterion" + (vague ? " vague" : ""), "data-criterion": i }, [
        field("Criterion", c.title, function (v) { c.title = v; }, { cls: "criterion-title" }),
        field("Description", c.description, function (v) { c.description = v; }),
        field("Weight", c.weight, function (v) { c.weight = numberOrNull(v); }, { type: "number", min: 0.1, step: 0.1, cls: "criterion-weight", after: updateShares }),
        el("p", { class: "share hint", text: share + " % of the score" }),
        field("Guidance for the scorer", c.guidance, function (v) { c.guidance = v; }, { multiline: true, rows: 2, cls: "criterion-guidance" }),
        vague ? el("p", { class: "warning criterion-warning", text: "No or very short guidance: the scorer will guess what this criterion means. Say what the learner should say or do." }) : null,
        button("Remove criterion", "link", function () { r.criteria.splice(i, 1); markDirty(); render(); })
      ]));
    });
    return el("section", { id: "rubric", class: "panel-wide" }, [
      el("h2", { text: "Rubric" }),
      field("Pass mark (0–100)", r.pass_mark, function (v) { r.pass_mark = numberOrNull(v); }, { type: "number", min: 0, max: 100, cls: "pass-mark" }),
      list,
      button("+ Add Criterion", "secondary", function () {
        r.criteria.push({ title: "", description: "", weight: 1.0, guidance: "" }); markDirty(); render();
        var t = $all(".criterion-title input"); if (t.length) { t[t.length - 1].focus(); }
      }, { id: "add-criterion" })
    ]);
  }

  function updateShares() {
    var r = course.draft.rubric;
    var total = r.criteria.reduce(function (s, c) { var w = Number(c.weight); return s + (isFinite(w) && w > 0 ? w : 0); }, 0);
    $all("#criteria .criterion").forEach(function (li, i) {
      var w = Number(r.criteria[i].weight);
      var share = total > 0 && isFinite(w) && w > 0 ? Math.round(w / total * 1000) / 10 : 0;
      li.querySelector(".share").textContent = share + " % of the score";
    });
  }

  function settingsSection() {
    var s = course.draft.settings;
    return el("section", { id: "settings", class: "panel-wide" }, [
      el("h2", { text: "Runtime settings" }),
      field("Max attempts (empty: unlimited)", s.max_attempts, function (v) { s.max_attempts = numberOrNull(v); }, { type: "number", min: 1, cls: "max-attempts" }),
      field("Learners see their score and feedback", s.show_score, function (v) { s.show_score = v; }, { type: "checkbox" }),
      field("Play the workspace's Branding Intro first", s.branding_intro, function (v) { s.branding_intro = v; }, { type: "checkbox" })
    ]);
  }

  function moduleSection(m, mi) {
    var blocks = el("ol", { class: "blocks", "data-module": mi });
    m.blocks.forEach(function (b, bi) {
      var handle = el("span", { class: "drag-handle", title: "Drag to move", "aria-hidden": "true", text: "⠿" });
      handle.addEventListener("pointerdown", function (e) { startDrag(e, "block", mi, bi); });
      blocks.appendChild(el("li", { class: "block block-" + b.kind, "data-module": mi, "data-block": bi, "data-kind": b.kind }, [
        el("div", { class: "block-head" }, [
          handle,
          el("span", { class: "block-kind badge", text: KINDS[b.kind] || b.kind }),
          el("span", { class: "block-title", text: blockTitle(b) }),
          el("span", { class: "spacer" }),
          button("Move up", "link move-up", function () { if (move(m.blocks, bi, -1)) { markDirty(); render(); focusMoved(mi, bi - 1, "move-up"); } },
            { "aria-label": "Move " + blockTitle(b) + " up", disabled: !editable || bi === 0 }),
          button("Move down", "link move-down", function () { if (move(m.blocks, bi, 1)) { markDirty(); render(); focusMoved(mi, bi + 1, "move-down"); } },
            { "aria-label": "Move " + blockTitle(b) + " down", disabled: !editable || bi === m.blocks.length - 1 }),
          button("Remove", "link danger-link remove-block", function () { m.blocks.splice(bi, 1); markDirty(); render(); },
            { "aria-label": "Remove " + blockTitle(b) }),
          toggle(b)
        ]),
        open.has(b) ? blockEditor(b) : null
      ]));
    });
    var kind = el("select", { class: "new-block-kind", "aria-label": "Kind of block", disabled: !editable },
      Object.keys(KINDS).map(function (k) { return el("option", { value: k, text: KINDS[k] }); }));
    var handle = el("span", { class: "drag-handle", title: "Drag to move the module", "aria-hidden": "true", text: "⠿" });
    handle.addEventListener("pointerdown", function (e) { startDrag(e, "module", mi, null); });
    var modules = course.draft.modules;
    return el("section", { class: "module", "data-module": mi }, [
      el("div", { class: "module-head" }, [
        handle,
        field("Module " + (mi + 1), m.title, function (v) { m.title = v; }, { cls: "module-title" }),
        button("Move up", "link module-up", function () { if (move(modules, mi, -1)) { markDirty(); render(); } }, { disabled: !editable || mi === 0, "aria-label": "Move module " + (mi + 1) + " up" }),
        button("Move down", "link module-down", function () { if (move(modules, mi, 1)) { markDirty(); render(); } }, { disabled: !editable || mi === modules.length - 1, "aria-label": "Move module " + (mi + 1) + " down" }),
        button("Remove module", "link danger-link remove-module", function () { modules.splice(mi, 1); markDirty(); render(); })
      ]),
      blocks,
      el("div", { class: "add-block" }, [kind, button("+ Add block", "secondary add-block-button", function () {
        var nb = newBlock(kind.value); open.add(nb); m.blocks.push(nb); markDirty(); render();
      })])
    ]);
  }

  function focusMoved(mi, bi, cls) {
    var b = document.querySelector('.block[data-module="' + mi + '"][data-block="' + bi + '"] .' + cls);
    if (b && !b.disabled) { b.focus(); } else {
      var any = document.querySelector('.block[data-module="' + mi + '"][data-block="' + bi + '"] button:not([disabled])');
      if (any) { any.focus(); }
    }
  }

  function render() {
    var scroll = window.scrollY;
    root.innerHTML = "";
    var c = course;
    root.appendChild(el("section", { id: "course-fields", class: "panel-wide" }, [
      field("Title", c.title, function (v) { c.title = v; document.getElementById("editor-heading").textContent = v; }, { cls: "course-title-input" }),
      field("Description", c.description, function (v) { c.description = v; }, { multiline: true, rows: 2 }),
      field("Tags (comma-separated)", (c.tags || []).join(", "), function (v) {
        c.tags = v.split(",").map(function (t) { return t.trim(); }).filter(function (t) { return t; });
      }, { cls: "course-tags" })
    ]));
    var mods = el("div", { id: "modules" });
    c.draft.modules.forEach(function (m, mi) { mods.appendChild(moduleSection(m, mi)); });
    root.appendChild(el("h2", { text: "Modules" }));
    root.appendChild(mods);
    root.appendChild(button("+ Add module", "secondary", function () {
      c.draft.modules.push({ title: "Module " + (c.draft.modules.length + 1), blocks: [] }); markDirty(); render();
    }, { id: "add-module" }));
    root.appendChild(rubricSection());
    root.appendChild(settingsSection());
    window.scrollTo(0, scroll);
  }

  // --- saving and publishing ------------------------------------------------------------------

  function body() {
    return JSON.stringify({ revision: course.revision, title: course.title, description: course.description,
      tags: course.tags, modules: course.draft.modules, settings: course.draft.settings, rubric: course.draft.rubric });
  }

  function problemText(p) {
    if (p && p.errors && p.errors.length) { return p.errors.map(function (e) { return e.field + " " + e.message; }).join("; "); }
    return (p && p.detail) || "The draft could not be saved.";
  }

  function save() {
    if (saving) { return Promise.resolve(false); }
    saving = true;
    setState("Saving…");
    return fetch("/api/v1/courses/" + course.id + "/draft", { method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: body() })
      .then(function (r) { return r.json().then(function (j) { return { status: r.status, json: j }; }); })
      .then(function (res) {
        saving = false;
        if (res.status === 200) {
          // The saved course comes back in the same order: blocks open stay open.
          var wasOpen = course.draft.modules.map(function (m) { return m.blocks.map(function (b) { return open.has(b); }); });
          course = res.json;
          course.draft.modules.forEach(function (m, mi) {
            m.blocks.forEach(function (b, bi) { if (wasOpen[mi] && wasOpen[mi][bi]) { open.add(b); } });
          });
          dirty = false;
          setState("Saved (revision " + course.revision + ")");
          var b = document.getElementById("save-draft"); if (b) { b.disabled = true; }
          notice("success", "Draft saved.");
          render();
          return true;
        }
        setState("Not saved");
        if (res.status === 409 && res.json.code === "stale") {
          var mine = el("button", { type: "button", class: "secondary", id: "overwrite", text: "Save mine over theirs" });
          mine.addEventListener("click", function () { course.revision = res.json.current_revision; save(); });
          notice("error", "Someone else saved this course since you opened it (it is at revision " + res.json.current_revision +
            "). Your changes are still here and nothing was overwritten. Open the course in another tab to see theirs, or:", mine);
        } else {
          notice("error", problemText(res.json));
        }
        return false;
      })
      .catch(function () { saving = false; setState("Not saved"); notice("error", "The server could not be reached; your changes are still here."); return false; });
  }

  function publish() {
    var go = dirty ? save() : Promise.resolve(true);
    go.then(function (ok) {
      if (!ok) { return; }
      fetch("/api/v1/courses/" + course.id + "/publish", { method: "POST", credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (j) { return { status: r.status, json: j }; }); })
        .then(function (res) {
          if (res.status === 201) {
            notice("success", "Published version " + res.json.number + ".");
            document.getElementById("course-status").textContent = "Published";
            var latest = document.getElementById("course-latest");
            if (!latest) { latest = el("span", { class: "hint", id: "course-latest" }); document.getElementById("course-status").after(latest); }
            latest.textContent = " v" + res.json.number;
          } else { notice("error", problemText(res.json)); }
        });
    });
  }

  // --- preview as learner (plays slides, media and quizzes; records and bills nothing) ---------

  function preview(on) {
    var pv = document.getElementById("preview");
    var toggle = document.getElementById("preview-toggle");
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    toggle.textContent = on ? "Back to editing" : "Preview as learner";
    root.hidden = on;
    pv.hidden = !on;
    pv.innerHTML = "";
    if (!on) { return; }
    pv.appendChild(el("p", { class: "note", text: "Preview: everything plays as a learner sees it; nothing is recorded, scored or billed." }));
    course.draft.modules.forEach(function (m) {
      var sec = el("section", { class: "preview-module" }, [el("h2", { text: m.title })]);
      m.blocks.forEach(function (b) {
        if (b.kind === "slide") {
          var box = el("div", { class: "preview-slide markdown-preview" });
          renderMarkdown(b.markdown, box);
          sec.appendChild(box);
        } else if (b.kind === "media") {
          sec.appendChild(el("figure", { class: "preview-media" }, [
            el("img", { src: "/media/" + b.media_id, alt: b.caption || "" }),
            b.caption ? el("figcaption", { text: b.caption }) : null]));
        } else if (b.kind === "quiz") {
          b.questions.forEach(function (q) {
            var chosen = [];
            var result = el("p", { class: "quiz-result", "aria-live": "polite" });
            var opts = q.choices.map(function (c, ci) {
              var id = nextId("p");
              var box = el("input", { type: "checkbox", id: id, class: "preview-choice" });
              box.addEventListener("change", function () {
                chosen = chosen.filter(function (x) { return x !== ci; });
                if (box.checked) { chosen.push(ci); }
              });
              return el("li", {}, [box, el("label", { for: id, text: c })]);
            });
            var check = el("button", { type: "button", class: "secondary check-answer", text: "Check" });
            check.addEventListener("click", function () {
              var right = chosen.slice().sort().join(",") === q.correct.slice().sort().join(",");
              result.textContent = right ? "Correct." : "Not quite.";
            });
            sec.appendChild(el("div", { class: "preview-quiz" }, [el("p", { class: "question-prompt", text: q.prompt }), el("ul", { class: "choices" }, opts), check, result]));
          });
        } else if (b.kind === "simulation") {
          sec.appendChild(el("div", { class: "preview-simulation" }, [
            el("h3", { text: "Role-play with " + (b.persona.name || "the persona") + (b.persona.role ? ", " + b.persona.role : "") }),
            el("p", { text: b.scenario }),
            el("p", { class: "hint", text: "Objective: " + b.objective }),
            el("blockquote", { class: "persona-line", text: b.opening_line }),
            el("p", { class: "hint", text: "The conversation itself plays in the course player." })
          ]));
        }
      });
      pv.appendChild(sec);
    });
  }

  // --- wiring -----------------------------------------------------------------------------------

  var saveButton = document.getElementById("save-draft");
  if (saveButton) { saveButton.addEventListener("click", save); }
  var publishButton = document.getElementById("publish");
  if (publishButton) { publishButton.addEventListener("click", publish); }
  var previewToggle = document.getElementById("preview-toggle");
  previewToggle.addEventListener("click", function () { preview(previewToggle.getAttribute("aria-pressed") !== "true"); });
  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "s" && editable) { e.preventDefault(); save(); }
  });
  window.addEventListener("beforeunload", function (e) {
    if (dirty) { e.preventDefault(); e.returnValue = ""; }
  });
  // Links away from the editor ask too (beforeunload covers the rest).
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[href]");
    if (a && dirty && !window.confirm("You have unsaved changes. Leave without saving?")) { e.preventDefault(); }
  });
  window.lyceumEditor = { isDirty: function () { return dirty; } };
  render();
})();
