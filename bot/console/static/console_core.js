/* What every page of the officer console shares: DOM helpers, the JSON API
 * (with the session's CSRF token; a lost session goes to the login page), the
 * status bar, and the top bar (who is signed in, logout). Plain JS, no
 * dependencies; data is rendered with textContent, never innerHTML.
 * Each page's script uses it as `ConsoleCore` (loaded first by the page). */
"use strict";

window.ConsoleCore = (function () {
  const CONN_MSG = "Không kết nối được máy chủ. Đang thử lại…";
  let csrf = "";
  let leaving = () => {};

  const $ = (id) => document.getElementById(id);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  }

  /* A button that does not submit a form, and what a click on it does. */
  function button(text, cls, onClick) {
    const b = el("button", cls, text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  const pad = (n) => (n < 10 ? "0" + n : String(n));

  class ApiError extends Error {
    constructor(message, status) { super(message); this.status = status; }
  }

  function goLogin() {
    leaving();
    window.location.assign("/console/login");
  }

  // JSON in and out; a FormData body is sent as it is. Throws ApiError
  // (status 0: the server could not be reached) with the server's message.
  // background: a page's own polling, which does not keep an idle session alive.
  async function api(method, path, body, background) {
    const opts = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf;
    if (background) opts.headers["X-Console-Background"] = "1";
    if (body instanceof FormData) opts.body = body;
    else if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(path, opts).catch(() => { throw new ApiError(CONN_MSG, 0); });
    if (res.status === 401 || (res.redirected && /\/console\/login/.test(res.url))) {
      goLogin();
      throw new ApiError("Phiên đăng nhập đã kết thúc.", 401);
    }
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) throw new ApiError(data && data.error ? data.error : "Lỗi máy chủ (" + res.status + ").", res.status);
    return data;
  }

  function showStatus(msg, kind) {
    $("status-text").textContent = msg;
    $("status").className = "status status-" + (kind || "error");
    $("status").hidden = false;
  }
  function hideStatus() {
    $("status").hidden = true;
    $("status-text").textContent = "";
  }

  async function logout() {
    const opts = { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } };
    await fetch("/console/logout", opts).catch(() => null); // go to login regardless
    goLogin();
  }

  // Who is signed in: shown in the top bar; keeps the session's CSRF token.
  async function signIn() {
    const me = (await api("GET", "/console/api/me")) || {};
    csrf = me.csrf_token || "";
    let who = me.display_name || me.username;
    if (me.unit_name) who += " – " + me.unit_name;
    if (me.role === "commander") who += " (Chỉ huy)";
    if ($("officer-name").textContent !== who) $("officer-name").textContent = who;
    return me;
  }

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  ready(() => {
    $("logout-button").addEventListener("click", () => { logout(); });
    const dismiss = $("status-dismiss");
    if (dismiss) dismiss.addEventListener("click", hideStatus);
  });

  return {
    $, el, button, pad, api, ApiError, CONN_MSG, showStatus, hideStatus, signIn, logout, goLogin, ready,
    onLeave(fn) { leaving = fn; }, // the page stops its polling before going to the login page
  };
})();
