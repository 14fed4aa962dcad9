// LVAO pipelines: the only script. Refreshes a running task's log, asks
// before destructive actions and sends each action once. The pages work
// without it.
(function () {
  "use strict";
  // An action form is sent once: a double click on Trigger sent one
  // request per click, each a new run. Back on the page, it works again.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var post = (form.getAttribute("method") || "").toLowerCase() === "post";
    if (post && form.hasAttribute("data-sent")) { ev.preventDefault(); return; }
    var b = ev.submitter || form.querySelector("[data-confirm]");
    var msg = b && b.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); return; }
    if (post) { form.setAttribute("data-sent", ""); }
  });
  window.addEventListener("pageshow", function (ev) {
    if (!ev.persisted) { return; }
    var sent = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < sent.length; i++) { sent[i].removeAttribute("data-sent"); }
  });
  // The trigger form's entries survive an expired session: kept when the
  // form is sent, offered back once when it shows again, forgotten once a
  // run is created (?done=).
  var draftKey = function (form) { return "lvao-draft:" + form.getAttribute("data-draft"); };
  var store = null;
  try { store = window.sessionStorage; } catch (e) { store = null; }
  if (store) {
    document.addEventListener("submit", function (ev) {
      var form = ev.target;
      if (!form.hasAttribute("data-draft")) { return; }
      var values = {};
      var els = form.querySelectorAll("[name^='param.']");
      for (var i = 0; i < els.length; i++) {
        values[els[i].name] = els[i].type === "checkbox" ? els[i].checked : els[i].value;
      }
      try { store.setItem(draftKey(form), JSON.stringify(values)); } catch (e) { /* full: no draft */ }
    });
    var tform = document.querySelector("form[data-draft]");
    var saved = tform && store.getItem(draftKey(tform));
    if (saved && !tform.hasAttribute("data-draft-skip")) {
      store.removeItem(draftKey(tform));
      var values = {};
      try { values = JSON.parse(saved) || {}; } catch (e) { values = {}; }
      var restored = false;
      Object.keys(values).forEach(function (name) {
        var el = tform.querySelector("[name='" + name.replace(/'/g, "\\'") + "']");
        if (!el) { return; }
        if (el.type === "checkbox") { el.checked = !!values[name]; } else { el.value = values[name]; }
        restored = true;
      });
      var note = document.getElementById("draft-restored");
      if (restored && note) { note.hidden = false; }
    }
    if (/[?&]done=/.test(window.location.search)) {
      for (var k = store.length - 1; k >= 0; k--) {
        var key = store.key(k);
        if (key && key.indexOf("lvao-draft:") === 0) { store.removeItem(key); }
      }
    }
  }
  // An action's message (?done=…) shows once: the address loses it, so a
  // reload (pages reload themselves while runs are active), Back or
  // Forward do not say again that a run was created.
  if (/[?&]done=/.test(window.location.search) && window.history.replaceState) {
    var q = window.location.search.slice(1).split("&").filter(function (kv) { return kv.indexOf("done=") !== 0; });
    window.history.replaceState(window.history.state, "",
      window.location.pathname + (q.length ? "?" + q.join("&") : "") + window.location.hash);
  }
  // Grid and run pages reload while runs are active, unless the user is
  // busy with a form.
  var auto = document.querySelector("[data-autorefresh]");
  if (auto) {
    var wait = parseInt(auto.getAttribute("data-autorefresh"), 10) || 0;
    var reload = function () {
      var a = document.activeElement;
      if (a && a !== document.body && /^(INPUT|SELECT|TEXTAREA)$/.test(a.tagName)) {
        setTimeout(reload, wait);
        return;
      }
      window.location.reload();
    };
    if (wait > 0) { setTimeout(reload, wait); }
  }
  var log = document.getElementById("log");
  if (!log) { return; }
  var every = parseInt(log.getAttribute("data-refresh"), 10) || 0;
  var url = log.getAttribute("data-log-url");
  var status = document.getElementById("log-status");
  if (!every || !url) { return; }
  function atBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 40; }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        // The session expired: reloading goes through the login page and back.
        if (r.status === 401) { window.location.reload(); return new Promise(function () {}); }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (d) {
        var stick = atBottom();
        var text = d.missing ? "(no log yet)" : d.text;
        if (d.truncated) { text = "… (the log's beginning is cut; open the whole log)\n" + text; }
        log.textContent = text;
        if (stick) { log.scrollTop = log.scrollHeight; }
        if (d.running) {
          setTimeout(tick, every);
        } else {
          // The attempt ended: show its final state and attempts.
          if (status) { status.textContent = "finished (" + d.state + ")"; }
          window.location.reload();
        }
      })
      .catch(function () {
        if (status) { status.textContent = "refresh failed; retrying"; }
        setTimeout(tick, every * 2);
      });
  }
  setTimeout(tick, every);
})();
