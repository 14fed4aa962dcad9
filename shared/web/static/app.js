// LVAO pipelines: the only script. Refreshes a running task's log and asks
// before destructive actions. The pages work without it.
(function () {
  "use strict";
  document.addEventListener("submit", function (ev) {
    var b = ev.submitter || ev.target.querySelector("[data-confirm]");
    var msg = b && b.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); }
  });
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
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
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
