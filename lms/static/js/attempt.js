/* Autosave and countdown for a quiz attempt.
 *
 * The page works without this script (a Save button and Hand in post the whole form). With it, every
 * change is saved in the background: one request at a time, each with a higher sequence number, so the
 * server can refuse a stale or replayed save. Changes not yet acknowledged are also kept in this
 * device's localStorage, so a lost connection, a closed tab or a reload loses nothing: the next page load
 * puts them back and saves them. The server keeps the clock; the countdown only shows it.
 */
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form || !window.fetch) { return; }

  var saveUrl = form.dataset.saveUrl;
  var storageKey = "lms-attempt-" + form.dataset.attempt;
  var seqInput = document.getElementById("seq");
  var status = document.getElementById("save-status");
  var answeredCount = document.getElementById("answered-count");
  var seq = parseInt(seqInput.value, 10) - 1;  // the last sequence number the server accepted
  var dirty = {};        // slot -> true, changed since the last acknowledged save
  var inFlight = false;
  var retryDelay = 2000;
  var retryTimer = null;
  var typingTimer = null;
  var stopped = false;   // a newer page or a closed attempt: this page must not save again
  var submitting = false;

  function say(message, kind) {
    status.textContent = message;
    status.className = "save-status" + (kind ? " is-" + kind : "");
  }

  function slotOf(element) {
    var fieldset = element.closest("fieldset[data-slot]");
    return fieldset ? fieldset.dataset.slot : null;
  }

  function fieldsOf(slot) {
    var fieldset = document.getElementById("slot-" + slot);
    var values = [];
    fieldset.querySelectorAll("input, select").forEach(function (el) {
      if (!el.name || el.type === "hidden") { return; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      values.push([el.name, el.value]);
    });
    return values;
  }

  function isAnswered(slot) {
    return fieldsOf(slot).some(function (pair) { return pair[1] !== ""; });
  }

  function countAnswered() {
    var n = 0;
    form.querySelectorAll("fieldset[data-slot]").forEach(function (fs) { if (isAnswered(fs.dataset.slot)) { n++; } });
    if (answeredCount) { answeredCount.textContent = n; }
  }

  // --- this device's copy of unsaved answers ---------------------------------------------------------
  function remember() {
    var pending = {};
    Object.keys(dirty).forEach(function (slot) { pending[slot] = fieldsOf(slot); });
    try {
      if (Object.keys(pending).length) { localStorage.setItem(storageKey, JSON.stringify(pending)); }
      else { localStorage.removeItem(storageKey); }
    } catch (e) { /* private mode or full: the server copy still counts */ }
  }

  function restore() {
    var pending;
    try { pending = JSON.parse(localStorage.getItem(storageKey) || "{}"); } catch (e) { pending = {}; }
    Object.keys(pending).forEach(function (slot) {
      var fieldset = document.getElementById("slot-" + slot);
      if (!fieldset) { return; }
      var values = pending[slot];
      fieldset.querySelectorAll("input, select").forEach(function (el) {
        if (!el.name || el.type === "hidden") { return; }
        var mine = values.filter(function (pair) { return pair[0] === el.name; }).map(function (p) { return p[1]; });
        if (el.type === "radio" || el.type === "checkbox") { el.checked = mine.indexOf(el.value) !== -1; }
        else { el.value = mine.length ? mine[0] : ""; }
      });
      dirty[slot] = true;
    });
    return Object.keys(pending).length > 0;
  }

  // --- saving ------------------------------------------------------------------------------------------
  function schedule(delay) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, delay);
  }

  function flush() {
    if (stopped || inFlight || submitting) { return; }
    var slots = Object.keys(dirty);
    if (!slots.length) { return; }
    var body = new FormData();
    body.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
    body.append("seq", String(seq + 1));
    var sent = {};
    slots.forEach(function (slot) {
      body.append("slot", slot);
      var values = fieldsOf(slot);
      values.forEach(function (pair) { body.append(pair[0], pair[1]); });
      sent[slot] = JSON.stringify(values);
    });
    inFlight = true;
    seq += 1;  // never reuse a number, even when this request is lost: a retry gets a new one
    say(form.dataset.msgSaving);
    fetch(saveUrl, { method: "POST", body: body, credentials: "same-origin",
                     headers: { "Accept": "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {  // the sign-in page: the session has ended
          stopped = true;
          say(form.dataset.msgSignedOut, "error");
          return null;
        }
        return response.json().then(function (data) { return { status: response.status, data: data }; });
      })
      .then(function (result) {
        inFlight = false;
        if (!result) { return; }
        if (result.status === 200 && result.data.ok) {
          seq = Math.max(seq, result.data.seq);
          Object.keys(sent).forEach(function (slot) {
            if (JSON.stringify(fieldsOf(slot)) === sent[slot]) { delete dirty[slot]; }
          });
          remember();
          retryDelay = 2000;
          say(form.dataset.msgSaved, "ok");
          if (typeof result.data.seconds_left === "number") { clock.sync(result.data.seconds_left); }
          if (Object.keys(dirty).length) { schedule(300); }
          return;
        }
        stopped = true;
        say(result.data.message || form.dataset.msgOffline, "error");
        if (result.data.reason === "closed" || result.data.reason === "late") {
          try { localStorage.removeItem(storageKey); } catch (e) { /* ignore */ }
          window.location.assign(result.data.redirect);
        }
      })
      .catch(function () {
        // No connection (or a server that did not answer): keep everything and try again later.
        inFlight = false;
        say(form.dataset.msgOffline, "warning");
        schedule(retryDelay);
        retryDelay = Math.min(retryDelay * 2, 30000);
      });
  }

  function changed(event) {
    var slot = slotOf(event.target);
    if (!slot || stopped) { return; }
    dirty[slot] = true;
    remember();
    countAnswered();
    var typing = event.type === "input" && event.target.type === "text";
    clearTimeout(typingTimer);
    if (typing) { typingTimer = setTimeout(flush, 800); } else { flush(); }
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  window.addEventListener("online", function () { schedule(0); });

  document.getElementById("save-button").addEventListener("click", function (event) {
    event.preventDefault();
    form.querySelectorAll("fieldset[data-slot]").forEach(function (fs) { dirty[fs.dataset.slot] = true; });
    flush();
  });

  form.addEventListener("submit", function () {
    // Hand in posts every answer with a sequence number above any save already sent.
    submitting = true;
    seqInput.value = String(seq + 1);
    try { localStorage.removeItem(storageKey); } catch (e) { /* ignore */ }
  });

  // --- the countdown -------------------------------------------------------------------------------------
  var clock = (function () {
    var element = document.getElementById("countdown");
    var display = document.getElementById("countdown-clock");
    if (!element) { return { sync: function () {} }; }
    var endsAt = Date.now() + parseInt(element.dataset.secondsLeft, 10) * 1000;
    var handedIn = false;
    function tick() {
      var left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
      display.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      element.classList.toggle("is-urgent", left <= 60);
      if (left === 0 && !handedIn) {
        handedIn = true;
        say(form.dataset.msgTimeUp, "warning");
        form.requestSubmit(document.getElementById("submit-button"));
        return;
      }
      setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
    }
    tick();
    return { sync: function (secondsLeft) { endsAt = Date.now() + secondsLeft * 1000; } };
  }());

  if (restore()) { countAnswered(); flush(); }
}());
