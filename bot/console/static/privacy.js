/* Officer console, personal data page: export or erase one citizen's data
 * (bot/console/privacy.py). Plain JS on console_core.js; text only. */
"use strict";

(function () {
  const { $, api, signIn, showStatus, hideStatus, ready } = window.ConsoleCore;

  const who = () => $("privacy-id").value.trim();

  async function exportData() {
    hideStatus();
    if (!who()) { showStatus("Hãy nhập mã người dùng Zalo của người dân."); return; }
    try {
      const data = await api("POST", "/console/api/privacy/export", { conversation_id: who() });
      const blob = new Blob([JSON.stringify(data, null, 1)], { type: "application/json" });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = "du-lieu-ca-nhan-" + who() + ".json";
      link.click();
      URL.revokeObjectURL(link.href);
      $("privacy-result").textContent = "Đã xuất dữ liệu của " + who() + ".";
    } catch (e) { showStatus(e.message); }
  }

  async function erase() {
    hideStatus();
    if (!who()) { showStatus("Hãy nhập mã người dùng Zalo của người dân."); return; }
    const typed = window.prompt("Xóa toàn bộ dữ liệu của người dùng " + who() +
      "? Không thể hoàn tác. Nhập lại mã người dùng để xác nhận:");
    if (typed === null) return;
    try {
      const res = await api("POST", "/console/api/privacy/erase", { conversation_id: who(), confirm: typed.trim() });
      const total = Object.values(res.deleted).reduce((a, b) => a + b, 0);
      $("privacy-result").textContent = "Đã xóa dữ liệu của " + who() + " (" + total + " bản ghi).";
    } catch (e) { showStatus(e.message); }
  }

  ready(async () => {
    $("privacy-export").addEventListener("click", exportData);
    $("privacy-erase").addEventListener("click", erase);
    try { await signIn(); } catch (e) { showStatus(e.message); }
  });
})();
