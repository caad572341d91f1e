/* The module editor: a live preview while typing, and image upload that inserts the Markdown at the cursor.
 *
 * The page works without this script: the Preview button re-renders the page with the server's preview, and
 * the upload form comes back with the Markdown to paste. The preview HTML comes from the server's publishing
 * pipeline (sanitised), so what is shown here is what trainees will read.
 */
(function () {
  "use strict";
  var form = document.getElementById("module-editor");
  if (!form || !window.fetch || !window.FormData) { return; }

  var source = form.querySelector("textarea[name=source]");
  var title = form.querySelector("input[name=title]");
  var minutes = form.querySelector("input[name=minutes]");
  var preview = document.getElementById("module-preview");
  var previewStatus = document.getElementById("preview-status");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var asked = 0;     // the number of the latest preview request: older answers are dropped
  var dirty = false;
  var submitting = false;

  function say(element, message, kind) {
    if (!element) { return; }
    element.textContent = message || "";
    element.className = "save-status" + (kind ? " is-" + kind : "");
  }

  function refreshPreview() {
    var body = new FormData();
    body.append("csrf_token", csrf);
    body.append("source", source.value);
    body.append("title", title ? title.value : "");
    if (minutes && /^\d+$/.test(minutes.value)) { body.append("minutes", minutes.value); }
    var number = ++asked;
    say(previewStatus, form.dataset.msgPreviewing);
    fetch(form.dataset.previewUrl, { method: "POST", body: body, credentials: "same-origin",
                                     headers: { "X-CSRFToken": csrf } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        if (number !== asked) { return; }
        preview.innerHTML = html;  // rendered and sanitised by the server
        say(previewStatus, "");
      })
      .catch(function () {
        if (number === asked) { say(previewStatus, form.dataset.msgPreviewFailed, "error"); }
      });
  }

  function changed() {
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(refreshPreview, 600);  // wait for a pause in typing
  }

  [source, title, minutes].forEach(function (el) { if (el) { el.addEventListener("input", changed); } });

  // The Preview button needs no page load when the script runs.
  var previewButton = form.querySelector("[data-preview-button]");
  if (previewButton) {
    previewButton.addEventListener("click", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      refreshPreview();
    });
  }

  // Discarding throws away a shared draft: ask first (without the script the version check still guards it).
  var discardButton = form.querySelector("input[name=discard], button[name=discard]");
  if (discardButton) {
    discardButton.addEventListener("click", function (event) {
      if (!window.confirm(form.dataset.msgDiscard)) { event.preventDefault(); }
    });
  }

  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) {
      event.preventDefault();
      event.returnValue = form.dataset.msgUnsaved;
    }
  });

  // --- upload an image and insert its Markdown where the cursor is ----------------------------------------
  var upload = document.getElementById("upload-form");
  if (!upload) { return; }
  var uploadStatus = document.getElementById("upload-status");
  var cursor = { start: source.value.length, end: source.value.length };
  function rememberCursor() { cursor = { start: source.selectionStart, end: source.selectionEnd }; }
  ["keyup", "mouseup", "select", "input", "blur"].forEach(function (name) {
    source.addEventListener(name, rememberCursor);
  });

  function insert(markdown) {
    // An image on a paragraph of its own: a blank line before it unless one is there already.
    var before = source.value.slice(0, cursor.start);
    var gap = !before || /\n\n$/.test(before) ? "" : (/\n$/.test(before) ? "\n" : "\n\n");
    var text = gap + markdown + "\n";
    source.setRangeText(text, cursor.start, cursor.end, "end");
    cursor = { start: source.selectionStart, end: source.selectionEnd };
    source.focus();
    changed();
  }

  upload.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = new FormData(upload);
    body.delete("next");  // ask for JSON rather than a page
    say(uploadStatus, upload.dataset.msgUploading);
    fetch(upload.action, { method: "POST", body: body, credentials: "same-origin",
                           headers: { "Accept": "application/json", "X-CSRFToken": csrf } })
      .then(function (response) {
        if (response.status === 413) {  // beyond the server's request limit: refused before the app sees it
          return { ok: false, data: { error: upload.dataset.msgTooBig } };
        }
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (result) {
        if (!result.ok) {
          say(uploadStatus, result.data.error || result.data.message || upload.dataset.msgFailed, "error");
          return;
        }
        insert(result.data.markdown);
        upload.reset();
        say(uploadStatus, upload.dataset.msgInserted + " " + result.data.markdown, "ok");
      })
      .catch(function () { say(uploadStatus, upload.dataset.msgFailed, "error"); });
  });
}());
