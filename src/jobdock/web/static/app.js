// jobdock web admin: dock open/closed state, notices, live-connection indicator.
(function () {
  "use strict";
  var DOCK_KEY = "jobdock.dock.open";

  function dockShell() { return document.getElementById("dock-shell"); }

  function applyDockState() {
    var shell = dockShell();
    if (!shell) return;
    var stored = null;
    try { stored = window.localStorage.getItem(DOCK_KEY); } catch (e) { /* private mode */ }
    // Narrow screens start with the dock folded to one line: it sits above the page there.
    if (stored === null) stored = window.matchMedia("(max-width: 1100px)").matches ? "false" : "true";
    shell.dataset.open = stored === "false" ? "false" : "true";
  }

  function toggleDock() {
    var shell = dockShell();
    if (!shell) return;
    var open = shell.dataset.open !== "true";
    shell.dataset.open = open ? "true" : "false";
    try { window.localStorage.setItem(DOCK_KEY, open ? "true" : "false"); } catch (e) { /* ignore */ }
  }

  function toast(text, kind) {
    var box = document.getElementById("toasts");
    if (!box || !text) return;
    var item = document.createElement("div");
    item.className = "toast " + (kind || "info");
    item.textContent = text;  // text, never HTML
    box.appendChild(item);
    window.setTimeout(function () { item.remove(); }, kind === "error" ? 6000 : 3000);
  }

  function errorText(xhr) {
    try { return JSON.parse(xhr.responseText).detail; } catch (e) { return xhr.statusText || "Request failed"; }
  }

  function setLive(text, ok) {
    var el = document.getElementById("live-state");
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("ok", ok);
    el.title = ok ? "Live updates: connected" : "Live updates: reconnecting";
  }

  // Submit form: show the chosen type's input fields; swap in its JSON template unless the
  // person already edited the input.
  function onTypeChange(event) {
    var select = event.target;
    if (!select || select.id !== "job_type") return;
    document.querySelectorAll("[data-input-for]").forEach(function (el) {
      el.hidden = el.dataset.inputFor !== select.value;
    });
    var box = document.getElementById("input_json");
    var option = select.options[select.selectedIndex];
    var untouched = !box.value.trim() || box.value.trim() === "{}" || box.value === box.dataset.template;
    if (untouched) {
      box.value = (option && option.dataset.template) || "{}";
      box.dataset.template = box.value;
    }
  }
  document.addEventListener("change", onTypeChange);
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("input_json");
    if (box) box.dataset.template = box.value;
  });

  applyDockState();
  document.addEventListener("DOMContentLoaded", applyDockState);
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-dock-toggle]")) toggleDock();
  });
  document.body.addEventListener("notice", function (event) {
    var detail = event.detail || {};
    toast(typeof detail === "string" ? detail : detail.value, "info");
  });
  document.body.addEventListener("htmx:responseError", function (event) {
    toast(errorText(event.detail.xhr), "error");
  });
  document.body.addEventListener("htmx:sendError", function () {
    toast("The server cannot be reached.", "error");
  });
  document.body.addEventListener("htmx:sseOpen", function () { setLive("live", true); });
  document.body.addEventListener("htmx:sseError", function () { setLive("reconnecting…", false); });
})();
