/* Officer console, QR sheets page: pick a unit and what the code opens, preview, download.
 * Plain JS on console_core.js; text is rendered with textContent only. */
"use strict";

(function () {
  const { $, api, showStatus, hideStatus } = window.ConsoleCore;
  let previewUrl = null;
  let request = 0; // the latest preview request; older answers are ignored

  function sheetUrl(format) {
    const q = new URLSearchParams({ unit: $("qr-unit").value, format });
    if ($("qr-procedure").value) q.set("procedure", $("qr-procedure").value);
    if ($("qr-allow-localhost").checked) q.set("allow_localhost", "1");
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
      showStatus(e instanceof TypeError ? "Không kết nối được máy chủ." : e.message);
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
    // the server says whether its public address is localhost: printed procedure codes would open nothing
    $("qr-localhost").hidden = $("qr-allow-field").hidden = !options.public_url_is_localhost;
  }

  async function start() {
    $("qr-unit").addEventListener("change", preview);
    $("qr-procedure").addEventListener("change", preview);
    $("qr-allow-localhost").addEventListener("change", preview);
    try {
      await window.ConsoleCore.signIn();
      fill(await api("GET", "/console/api/qr/options"));
    } catch (e) {
      showStatus(e.message);
      return;
    }
    preview();
  }

  window.ConsoleCore.ready(start);
})();
