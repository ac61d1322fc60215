/* Officer console, reports page: a unit's figures over a period beside the
 * previous one, with plots, and the PDF (bot/console/reports.py). Plain JS
 * on console_core.js; text only; the plots are PNGs the API sends (blob URLs). */
"use strict";

(function () {
  const { $, el, api, signIn, showStatus, hideStatus, ready } = window.ConsoleCore;
  const PLOT_TITLES = {
    weekly_volume: "Tin nhắn và người dân mỗi tuần", top_procedures: "Thủ tục được hỏi nhiều nhất",
    waiting_times: "Thời gian chờ cán bộ nhận", units_compared: "So sánh các đơn vị",
  };
  const KINDS = { anonymous: "Ẩn danh", named: "Có thông tin liên hệ" };
  const STATUSES = { received: "Mới tiếp nhận", verifying: "Đang xác minh", transferred: "Đã chuyển", resolved: "Đã xử lý" };
  let blobs = [];
  let asked = 0; // the newest request: an older answer arriving later is dropped

  const num = (n) => Number(n || 0).toLocaleString("vi-VN");
  function duration(s) {
    if (s === null || s === undefined) return "–";
    s = Math.round(s);
    if (s < 60) return s + " giây";
    if (s < 3600) return Math.floor(s / 60) + " phút" + (s % 60 ? " " + (s % 60) + " giây" : "");
    const m = Math.floor((s % 3600) / 60);
    return Math.floor(s / 3600) + " giờ" + (m ? " " + m + " phút" : "");
  }
  const iso = (d) => d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");

  function query() {
    const p = new URLSearchParams();
    if ($("report-unit").value) p.set("unit", $("report-unit").value);
    if ($("report-from").value) p.set("from", $("report-from").value);
    if ($("report-to").value) p.set("to", $("report-to").value);
    return p.toString();
  }

  function rows(tbody, data, cells) {
    tbody.replaceChildren();
    for (const item of data) {
      const tr = el("tr");
      cells(item).forEach((value, i) => tr.append(el(i === 0 ? "th" : "td", null, value)));
      if (tr.firstChild) tr.firstChild.setAttribute("scope", "row");
      tbody.append(tr);
    }
  }

  function detail(term, value) {
    $("details").append(el("dt", null, term), el("dd", null, value));
  }

  function render(r) {
    $("report-title").textContent = "Báo cáo " + r.unit_name;
    $("report-period").textContent = "Kỳ này: " + r.period.label + " · Kỳ trước: " + r.previous_period.label;
    rows($("key-figures").tBodies[0], r.key_figures, (k) => [k.label, k.current, k.previous, k.change]);
    $("units-section").hidden = !r.units_compared.length;
    rows($("units-compared").tBodies[0], r.units_compared, (u) => [u.name, num(u.messages), num(u.citizens),
      num(u.new_followers), num(u.chats), duration(u.claim_p50), num(u.past_target), num(u.timed_out), num(u.sos), num(u.tipoffs)]);
    const now = r.current;
    rows($("officers").tBodies[0], now.chats.officers, (o) => [o.officer, num(o.chats), num(o.replied),
      duration(o.claim_p50), duration(o.reply_p50)]);
    $("details").replaceChildren();
    const t = now.tipoffs;
    detail("Tin báo theo loại", Object.entries(t.by_kind).map(([k, v]) => KINDS[k] + ": " + num(v)).join("; "));
    detail("Tin báo theo trạng thái", Object.entries(t.by_status).map(([k, v]) => (STATUSES[k] || k) + ": " + num(v)).join("; "));
    detail("Tin báo: đến xử lý đầu tiên", duration(t.first_action_p50) + " (trung vị), " + duration(t.first_action_p90) + " (90 %)");
    detail("SOS: đến khi cán bộ nhận", duration(now.sos.claim_p50) + " (trung vị), " + duration(now.sos.claim_p90) + " (90 %)");
    const a = now.announcements;
    detail("Thông báo", num(a.published) + " đã đăng; " + num(a.delivered) + " lượt đã gửi; " + num(a.refused) +
      " bị từ chối; " + num(a.sending) + " đang gửi; " + num(a.out_of_window) + " ngoài thời hạn 7 ngày của Zalo");
    detail("Nhóm câu hỏi chưa trả lời được", now.questions.unanswered_groups.map((g) => "“" + g[0] + "” (" + g[1] + ")").join("; ") || "không có");
    detail("Đánh giá của người dân", Object.entries(now.feedback).map(([k, v]) => k + ": " + v).join("; "));
    blobs.forEach((u) => URL.revokeObjectURL(u));
    blobs = [];
    $("plots").replaceChildren();
    for (const [name, data] of Object.entries(r.plots)) {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const url = URL.createObjectURL(new Blob([bytes], { type: "image/png" }));
      blobs.push(url);
      const figure = el("figure", "report-plot");
      const img = el("img");
      img.src = url;
      img.alt = PLOT_TITLES[name] || name;
      img.dataset.plot = name;
      figure.append(img, el("figcaption", null, PLOT_TITLES[name] || name));
      $("plots").append(figure);
    }
    $("report").hidden = false;
  }

  function fillUnits(choices, chosen) {
    const select = $("report-unit");
    if (select.options.length) return;
    for (const c of choices) {
      const option = el("option", null, "\u00a0\u00a0".repeat(c.depth) + c.name);
      option.value = c.id;
      select.append(option);
    }
    select.value = chosen;
    select.disabled = choices.length < 2;
  }

  async function load() {
    hideStatus();
    $("report-loading").hidden = false;
    $("report-pdf").setAttribute("aria-disabled", "true");
    const mine = ++asked;
    try {
      const r = await api("GET", "/console/api/reports?" + query());
      if (mine !== asked) return;
      fillUnits(r.choices, r.unit);
      $("report-from").value = r.period.first;
      $("report-to").value = r.period.last;
      render(r);
      $("report-pdf").href = "/console/api/reports/pdf?" + query();
      $("report-pdf").removeAttribute("aria-disabled");
    } catch (e) { if (mine === asked) showStatus(e.message); }
    if (mine === asked) $("report-loading").hidden = true;
  }

  function lastMonths(months) {
    const to = new Date();
    const from = new Date(to);
    from.setMonth(from.getMonth() - months);
    from.setDate(from.getDate() + 1);
    $("report-from").value = iso(from);
    $("report-to").value = iso(to);
    load();
  }

  ready(async () => {
    $("report-form").addEventListener("submit", (e) => { e.preventDefault(); load(); });
    for (const b of document.querySelectorAll("[data-months]")) b.addEventListener("click", () => lastMonths(Number(b.dataset.months)));
    try { await signIn(); } catch (e) { showStatus(e.message); return; }
    load();
  });
})();
