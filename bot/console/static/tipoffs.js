/* Tip-offs page of the officer console. Plain JS on console_core.js; data rendered with textContent only. */
"use strict";

(function () {
  const { $, el, api, showStatus } = window.ConsoleCore;
  const state = { selected: null, statuses: [] };
  const fmt = (t) => new Date(Number(t) * 1000).toLocaleString("vi-VN");

  async function loadList(background) {
    const data = await api("GET", "/console/api/tipoffs", undefined, background);
    state.statuses = data.statuses;
    const list = $("tipoffs");
    list.replaceChildren();
    for (const t of data.tipoffs) {
      const li = el("li", "queue-item" + (t.code === state.selected ? " selected" : ""));
      li.tabIndex = 0;
      li.dataset.code = t.code;
      li.append(el("strong", null, t.code + " · " + t.status_label));
      li.append(el("div", "queue-preview", t.what));
      li.append(el("div", "queue-meta", t.unit_name + " · " + fmt(t.created_at)
        + (t.attachments ? " · " + t.attachments + " tệp" : "")));
      li.addEventListener("click", () => open(t.code));
      li.addEventListener("keydown", (ev) => { if (ev.key === "Enter") open(t.code); });
      list.append(li);
    }
    $("list-count").textContent = "(" + data.tipoffs.length + ")";
    $("list-empty").hidden = data.tipoffs.length > 0;
  }

  async function open(code) {
    state.selected = code;
    const t = await api("GET", "/console/api/tipoffs/" + encodeURIComponent(code));
    $("detail-empty").hidden = true;
    $("detail-body").hidden = false;
    $("d-code").textContent = "Tin báo " + t.code;
    $("d-status").textContent = t.status_label;
    $("d-unit").textContent = t.unit_name;
    $("d-created").textContent = fmt(t.created_at);
    $("d-what").textContent = t.what;
    const place = $("d-place");
    place.replaceChildren(el("span", null, t.place || "Không rõ"));
    if (t.map) {
      const a = el("a", null, " Xem bản đồ");
      a.href = t.map; a.target = "_blank"; a.rel = "noopener noreferrer";
      place.append(a);
    }
    $("d-occurred").textContent = t.occurred || "Không rõ";
    $("d-reporter").textContent = t.reporter
      ? (t.reporter.contact || "") + " (Zalo: " + t.reporter.zalo_user_id + ")"
      : "Ẩn danh – người báo tin yêu cầu giữ kín danh tính";
    const files = $("d-attachments");
    files.replaceChildren();
    if (!t.attachments.length) files.textContent = "Không có";
    for (const f of t.attachments) {
      const label = f.name || "Tệp " + f.type;
      if (!/^https:\/\//i.test(f.url || "")) { // only https addresses are opened (never javascript:)
        files.append(el("span", "tipoff-file", label + " (địa chỉ không an toàn, không mở)"));
        continue;
      }
      const a = el("a", "tipoff-file");
      a.href = f.url; a.target = "_blank"; a.rel = "noopener noreferrer";
      if (f.type === "image") {
        const img = el("img");
        img.src = f.url; img.alt = "Ảnh đính kèm"; img.referrerPolicy = "no-referrer";
        a.append(img);
      } else {
        a.textContent = label;
      }
      files.append(a);
    }
    const sel = $("status-select");
    sel.replaceChildren(...state.statuses.map((s) => Object.assign(el("option", null, s.label), { value: s.id })));
    sel.value = t.status;
    $("unseal-box").hidden = !t.can_unseal;
    $("escalate-box").hidden = !t.escalate_to;
    if (t.escalate_to) $("escalate-button").textContent = "Chuyển lên " + t.escalate_to.name;
    const history = $("d-history");
    history.replaceChildren(...t.history.map((h) => el("li", null,
      fmt(h.time) + " – " + h.actor + ": " + h.action
      + (h.detail.status ? " (" + h.detail.status + ")" : "")
      + (h.detail.note ? " – " + h.detail.note : "")
      + (h.detail.reason ? " – Lý do: " + h.detail.reason : ""))));
    loadList().catch((e) => showStatus(e.message));
  }

  async function saveStatus() {
    await api("POST", "/console/api/tipoffs/" + encodeURIComponent(state.selected) + "/status",
      { status: $("status-select").value });
    showStatus("Đã cập nhật trạng thái tin báo.", "info");
    await open(state.selected);
  }

  async function escalate() {
    const r = await api("POST", "/console/api/tipoffs/" + encodeURIComponent(state.selected) + "/escalate",
      { note: $("escalate-note").value });
    showStatus("Đã chuyển tin báo lên " + r.unit_name + ".", "info");
    $("escalate-note").value = "";
    await open(state.selected).catch(() => { // no longer visible to a ward officer
      $("detail-body").hidden = true; $("detail-empty").hidden = false; state.selected = null;
    });
    await loadList();
  }

  async function unseal() {
    const r = await api("POST", "/console/api/tipoffs/" + encodeURIComponent(state.selected) + "/unseal",
      { reason: $("unseal-reason").value });
    $("unseal-reason").value = "";
    await open(state.selected);
    $("d-reporter").textContent = "Zalo: " + r.zalo_user_id + " (đã mở niêm phong, đã ghi nhật ký)";
  }

  async function start() {
    await window.ConsoleCore.signIn();
    $("status-button").addEventListener("click", () => saveStatus().catch((e) => showStatus(e.message)));
    $("escalate-button").addEventListener("click", () => escalate().catch((e) => showStatus(e.message)));
    $("unseal-button").addEventListener("click", () => unseal().catch((e) => showStatus(e.message)));
    await loadList();
    setInterval(() => loadList(true).catch((e) => showStatus(e.message)), 5000);
  }

  window.ConsoleCore.ready(() => start().catch((e) => showStatus(e.message)));
})();
