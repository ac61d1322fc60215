/* Officer console, QR sheets page: pick a unit and what the code opens, preview, download.
 * Plain JS, no dependencies; text is rendered with textContent only. */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  let csrf = "";
  let previewUrl = null;
  let request = 0; // the latest preview request; older answers are ignored

  function showStatus(msg) {
    $("status-text").textContent = msg;
    $("status").className = "status status-error";
    $("status").hidden = false;
  }
  function hideStatus() { $("status").hidden = true; $("status-text").textContent = ""; }
  // fetch rejects with a TypeError when the server cannot be reached
  const messageOf = (e) => (e instanceof TypeError ? "Không kết nối được máy chủ." : e.message);

  async function getJson(path) {
    const res = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (res.status === 401 || (res.redirected && /\/console\/login/.test(res.url))) {
      window.location.assign("/console/login");
      throw new Error("Phiên đăng nhập đã kết thúc.");
    }
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new Error(data && data.error ? data.error : "Lỗi máy chủ (" + res.status + ").");
    return data;
  }

  function sheetUrl(format) {
    const q = new URLSearchParams({ unit: $("qr-unit").value, format });
    if ($("qr-procedure").value) q.set("procedure", $("qr-procedure").value);
    return "/console/api/qr?" + q.toString();
  }

  function setDownloads(enabled) {
    for (const [id, format] of [["qr-pdf", "pdf"], ["qr-png", "png"]]) {
      const a = $(id);
      if (enabled) {
        a.href = sheetUrl(format);
        const proc = $("qr-procedure").value;
        a.download = "qr-" + $("qr-unit").value + (proc ? "-" + proc : "") + "." + format;
        a.removeAttribute("aria-disabled");
      } else {
        a.removeAttribute("href");
        a.setAttribute("aria-disabled", "true");
      }
    }
  }

  async function preview() {
    const mine = ++request;
    setDownloads(false);
    $("qr-loading").hidden = false;
    $("qr-link").textContent = "—";
    try {
      const res = await fetch(sheetUrl("png"), { credentials: "same-origin" });
      if (res.status === 401) { window.location.assign("/console/login"); return; }
      if (!res.ok) {
        const data = await res.json().catch(() => null);
        throw new Error(data && data.error ? data.error : "Không tạo được mã QR (" + res.status + ").");
      }
      const blob = await res.blob();
      if (mine !== request) return;
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = URL.createObjectURL(blob);
      const link = res.headers.get("X-QR-Link") || "";
      const unit = $("qr-unit").selectedOptions[0];
      const proc = $("qr-procedure").selectedOptions[0];
      const img = $("qr-image");
      img.src = previewUrl;
      img.alt = "Bản xem trước tờ mã QR của " + (unit ? unit.textContent : "") +
        ($("qr-procedure").value ? ", thủ tục " + proc.textContent : ", mở khung chat Zalo") + ". Mã QR mở " + link;
      img.hidden = false;
      $("qr-link").textContent = link;
      setDownloads(true);
      hideStatus();
    } catch (e) {
      if (mine !== request) return;
      $("qr-image").hidden = true;
      showStatus(messageOf(e));
    } finally {
      if (mine === request) $("qr-loading").hidden = true;
    }
  }

  function fill(options) {
    const unitSel = $("qr-unit");
    for (const u of options.units || []) unitSel.append(new Option(u.name, u.id));
    const procSel = $("qr-procedure");
    for (const d of options.domains || []) {
      const group = document.createElement("optgroup");
      group.label = d.name;
      for (const p of d.procedures) group.append(new Option(p.name, p.id));
      procSel.append(group);
    }
    unitSel.disabled = procSel.disabled = false;
  }

  async function logout() {
    const opts = { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } };
    await fetch("/console/logout", opts).catch(() => null); // go to login regardless
    window.location.assign("/console/login");
  }

  async function start() {
    $("status-dismiss").addEventListener("click", hideStatus);
    $("logout-button").addEventListener("click", () => { logout(); });
    $("qr-unit").addEventListener("change", preview);
    $("qr-procedure").addEventListener("change", preview);
    try {
      const me = await getJson("/console/api/me");
      csrf = me.csrf_token || "";
      let who = me.display_name || me.username;
      if (me.unit_name) who += " – " + me.unit_name;
      if (me.role === "commander") who += " (Chỉ huy)";
      $("officer-name").textContent = who;
      fill(await getJson("/console/api/qr/options"));
    } catch (e) {
      showStatus(messageOf(e));
      return;
    }
    preview();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
