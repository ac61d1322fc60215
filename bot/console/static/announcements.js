/* Announcements page: compose, list, approve or reject. Plain JS on console_core.js.
 * All data is rendered with textContent; never innerHTML. */
"use strict";

(function () {
  const POLL_MS = 15000;
  const MAX_IMAGE = 1024 * 1024;
  const { $, el, pad, api, showStatus } = window.ConsoleCore;
  const state = { labels: {}, comments: new Map(), sig: "" };
  function fmtTime(t) {
    const d = new Date(Number(t) * 1000);
    return pad(d.getDate()) + "/" + pad(d.getMonth() + 1) + "/" + d.getFullYear() + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  // ---- list ------------------------------------------------------------------
  function deliveryLine(counts) {
    return "Người nhận: " + Object.keys(state.labels).map((k) => state.labels[k] + ": " + (counts[k] || 0)).join(" · ");
  }

  // each target OA's broadcasts left this month (before approval)
  function quotaBox(a) {
    const list = el("ul", "ann-quota");
    list.append(...a.broadcast_quota.map((q) => el("li", null, q.name + ": " + q.label)));
    return list;
  }

  // each OA's broadcast of a published announcement
  function broadcastBox(a) {
    const list = el("ul", "ann-broadcasts");
    list.append(...a.broadcasts.map((b) => {
      let line = "Tin truyền thông – " + b.oa_name + ": " + b.status_label + " · " + b.followers + " người quan tâm đã biết";
      if (b.note) line += " (" + b.note + ")";
      return el("li", "ann-broadcast-" + b.status, line);
    }));
    return list;
  }

  function reviewBox(a) {
    const box = el("div", "ann-review");
    const id = "comment-" + a.id;
    const label = el("label", null, "Nhận xét (bắt buộc khi từ chối)");
    label.htmlFor = id;
    const text = el("textarea");
    text.id = id;
    text.rows = 2;
    text.value = state.comments.get(a.id) || "";
    text.addEventListener("input", () => state.comments.set(a.id, text.value));
    const approve = el("button", "btn btn-primary", "Duyệt và đăng");
    const reject = el("button", "btn btn-danger", "Từ chối");
    approve.type = reject.type = "button";
    approve.addEventListener("click", () => {
      // publishing messages every follower of the Official Account: ask first
      if (!window.confirm("Duyệt và đăng thông báo “" + a.title + "”? Thông báo sẽ được gửi tới tất cả người quan tâm Zalo OA.")) return;
      review(a.id, "approve", text.value, [approve, reject]);
    });
    reject.addEventListener("click", () => {
      if (!text.value.trim()) { showStatus("Vui lòng ghi lý do từ chối."); text.focus(); return; }
      review(a.id, "reject", text.value, [approve, reject]);
    });
    const row = el("div", "ann-actions");
    row.append(approve, reject);
    box.append(label, text, row);
    return box;
  }

  function auditBox(a) {
    const details = el("details", "ann-audit");
    details.append(el("summary", null, "Nhật ký"));
    const list = el("ol");
    details.append(list);
    details.addEventListener("toggle", () => {
      if (!details.open) return;
      api("GET", "/console/api/announcements/" + a.id + "/audit").then((data) => {
        list.replaceChildren(...data.entries.map((e) => {
          let line = fmtTime(e.time) + " – " + e.actor_name + ": " + e.action_label;
          if (e.detail && e.detail.comment) line += " (" + e.detail.comment + ")";
          if (e.action === "published") {
            line += " – tin tư vấn đã xếp gửi " + e.detail.queued + ", ngoài thời hạn " + e.detail.out_of_window
              + ", qua tin truyền thông " + ((e.detail.broadcast || 0) + (e.detail.undecided || 0));
          }
          return el("li", null, line);
        }));
      }).catch((e) => showStatus(e.message));
    });
    return details;
  }

  function item(a) {
    const li = el("li", "ann-item status-" + a.status);
    const head = el("div", "ann-head");
    head.append(el("h3", null, a.title), el("span", "badge ann-badge-" + a.status, a.status_label));
    li.append(head);
    li.append(el("p", "ann-meta", "Gửi đến: " + a.target_units.map((u) => u.name).join(", ")
      + " · Người soạn: " + a.author_name + " · " + fmtTime(a.created_at)));
    if (a.send_at_label) li.append(el("p", "ann-send-at", "Gửi lúc: " + a.send_at_label));
    li.append(el("p", "ann-body", a.body));
    if (a.image_url) {
      const img = el("img", "ann-image");
      img.src = a.image_url;
      img.alt = "Ảnh kèm thông báo";
      li.append(img);
    }
    if (a.reviewed_at) {
      let line = (a.status === "rejected" ? "Bị từ chối bởi " : "Duyệt bởi ") + a.reviewer_name + " lúc " + fmtTime(a.reviewed_at);
      if (a.review_comment) line += (a.status === "rejected" ? ". Lý do: " : ". Nhận xét: ") + a.review_comment;
      li.append(el("p", a.status === "rejected" ? "ann-comment ann-rejected" : "ann-comment", line));
    }
    if (a.broadcast_quota && a.broadcast_quota.length) li.append(quotaBox(a));
    if (a.broadcasts && a.broadcasts.length) li.append(broadcastBox(a));
    if (a.deliveries) li.append(el("p", "ann-deliveries", deliveryLine(a.deliveries)));
    if (a.can_review) li.append(reviewBox(a));
    li.append(auditBox(a));
    return li;
  }

  async function load(force, background) {
    const data = await api("GET", "/console/api/announcements", undefined, background);
    state.labels = data.delivery_labels || {};
    const sig = JSON.stringify(data.announcements);
    const typing = document.activeElement && $("ann-items").contains(document.activeElement);
    if (!force && (sig === state.sig || typing)) return data;
    state.sig = sig;
    $("ann-items").replaceChildren(...data.announcements.map(item));
    $("ann-count").textContent = "(" + data.announcements.length + ")";
    $("ann-empty").hidden = data.announcements.length > 0;
    return data;
  }

  async function review(id, action, comment, buttons) {
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const data = await api("POST", "/console/api/announcements/" + id + "/" + action, { comment: comment.trim() });
      state.comments.delete(id);
      const a = data.announcement;
      showStatus(action === "reject" ? "Đã từ chối thông báo." : a.status === "published"
        ? "Đã duyệt và đăng thông báo." : a.send_at_label ? "Đã duyệt; thông báo sẽ được gửi lúc " + a.send_at_label + "."
        : "Đã duyệt; thông báo sẽ được đăng khi hệ thống sẵn sàng.", "info");
      await load(true);
    } catch (e) {
      showStatus(e.message);
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  // ---- form ------------------------------------------------------------------
  function fillUnits(units, own) {
    $("ann-units").replaceChildren(...units.map((u) => {
      const label = el("label", "ann-unit");
      const box = el("input");
      box.type = "checkbox";
      box.name = "units";
      box.value = u.id;
      box.checked = u.id === own && units.length === 1;
      label.append(box, " " + u.name);
      return label;
    }));
  }

  async function submit(ev) {
    ev.preventDefault();
    const form = $("ann-form");
    const data = new FormData(form);
    const file = $("ann-image").files[0];
    if (!String(data.get("title") || "").trim()) return showStatus("Vui lòng nhập tiêu đề.");
    if (!String(data.get("body") || "").trim()) return showStatus("Vui lòng nhập nội dung.");
    if (!data.getAll("units").length) return showStatus("Vui lòng chọn ít nhất một đơn vị nhận.");
    if (file && file.size > MAX_IMAGE) return showStatus("Ảnh quá lớn: Zalo chỉ nhận ảnh tối đa 1 MB.");
    if (file && !/^image\/(jpeg|png)$/.test(file.type)) return showStatus("Ảnh phải là tệp JPG hoặc PNG.");
    if (!file) data.delete("image");
    if (!data.get("send_at")) data.delete("send_at");
    $("ann-submit").disabled = true;
    try {
      await api("POST", "/console/api/announcements", data);
      form.reset();
      showStatus("Đã gửi thông báo cho chỉ huy duyệt.", "info");
      await load(true);
    } catch (e) {
      showStatus(e.message);
    } finally {
      $("ann-submit").disabled = false;
    }
  }

  async function start() {
    try {
      const me = await window.ConsoleCore.signIn();
      const data = await load(true);
      fillUnits(data.units, me.unit);
      setInterval(() => { load(false, true).catch((e) => showStatus(e.message)); }, POLL_MS);
    } catch (e) {
      showStatus(e.message);
    }
  }

  function init() {
    $("ann-form").addEventListener("submit", submit);
    start();
  }
  window.ConsoleCore.ready(init);
})();
