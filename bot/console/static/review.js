/* Officer console, "Câu hỏi cần xử lý": groups of messages the assistant did
 * not serve; give a group (or one message) to a procedure or another agency,
 * or skip it. Plain JS on console_core.js; text is rendered with textContent only. */
"use strict";

(function () {
  const { $, el, button, pad, api, showStatus, hideStatus, signIn, ready } = window.ConsoleCore;
  let options = { domains: [], agencies: [] };
  let busy = false;

  function when(epoch) {
    const d = new Date(epoch * 1000);
    return pad(d.getDate()) + "/" + pad(d.getMonth() + 1) + "/" + d.getFullYear() + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function procedureSelect(id, chosen) {
    const select = el("select", "review-select");
    select.id = id;
    select.append(new Option("— Chọn thủ tục —", ""));
    for (const d of options.domains) {
      const group = document.createElement("optgroup");
      group.label = d.name;
      for (const p of d.procedures) group.append(new Option(p.name, p.id, false, p.id === chosen));
      select.append(group);
    }
    return select;
  }

  function agencySelect(id, chosen) {
    const select = el("select", "review-select");
    select.id = id;
    select.append(new Option("— Chọn cơ quan —", ""));
    for (const a of options.agencies) select.append(new Option(a.matter, a.id, false, a.id === chosen));
    return select;
  }

  async function act(path, body, done) {
    if (busy) return;
    busy = true;
    document.body.classList.add("review-busy");
    try {
      const result = await api("POST", "/console/api/review/" + path, body);
      showStatus(done(result), "info");
      await load();
    } catch (e) {
      showStatus(e.message);
    } finally {
      busy = false;
      document.body.classList.remove("review-busy");
    }
  }

  function assign(ids, select) {
    if (!select.value) { showStatus("Hãy chọn thủ tục."); select.focus(); return; }
    const name = select.selectedOptions[0].textContent;
    act("assign", { ids, procedure: select.value },
      (r) => "Đã thêm \"" + r.example + "\" vào ví dụ của thủ tục " + name + " (" + r.file + ").");
  }

  function outOfScope(ids, select) {
    if (!select.value) { showStatus("Hãy chọn cơ quan."); select.focus(); return; }
    act("out-of-scope", { ids, agency: select.value },
      (r) => "Đã thêm \"" + r.example + "\" vào các câu hỏi thuộc cơ quan khác (" + r.file + ").");
  }

  function skip(ids) {
    act("skip", { ids }, (r) => "Đã bỏ qua " + r.closed.length + " tin nhắn.");
  }

  function sampleItem(s, procedure) {
    const li = el("li", "review-sample");
    li.dataset.id = s.id;
    li.append(el("span", "review-sample-text", "“" + s.text + "”"));
    const meta = el("span", "review-sample-meta", s.kind + " · " + s.unit_name + " · " + when(s.created_at) + " · ");
    if (s.chat_link) {
      const a = el("a", null, "Xem cuộc trò chuyện");
      a.href = s.chat_link;
      meta.append(a);
    } else {
      meta.append(el("span", "review-conversation", "Mã hội thoại: " + s.conversation_id));
    }
    li.append(meta);
    const only = el("span", "review-sample-actions");
    const mine = button("Chỉ tin này vào thủ tục đã chọn", "btn review-one-assign", () => assign([s.id], procedure));
    const skipOne = button("Bỏ qua tin này", "btn review-one-skip", () => skip([s.id]));
    only.append(mine, skipOne);
    li.append(only);
    return li;
  }

  function groupItem(g, index) {
    const li = el("li", "review-group");
    li.dataset.key = g.key;
    const title = el("h3", "review-text", "“" + g.text + "”");
    title.id = "review-group-" + index;
    li.setAttribute("aria-labelledby", title.id);
    li.append(title);
    li.append(el("p", "review-meta", g.count + " tin nhắn · Đơn vị: " + g.units.join(", ") +
      " · Lần đầu: " + when(g.first_seen) + " · Lần cuối: " + when(g.last_seen)));
    const kinds = el("p", "review-kinds");
    for (const k of g.kinds) kinds.append(el("span", "badge", k));
    if (g.guess_name) kinds.append(el("span", "review-guess", "Trợ lý đoán: " + g.guess_name));
    li.append(kinds);

    const actions = el("div", "review-actions");
    const procedure = procedureSelect("review-procedure-" + index, g.guess);
    const procLabel = el("label", "visually-hidden", "Thủ tục cho nhóm này");
    procLabel.htmlFor = procedure.id;
    const assignAll = button("Thuộc thủ tục này", "btn btn-primary review-assign", () => assign(g.ids, procedure));
    const agency = agencySelect("review-agency-" + index, g.agency);
    const agencyLabel = el("label", "visually-hidden", "Cơ quan cho nhóm này");
    agencyLabel.htmlFor = agency.id;
    const away = button("Ngoài phạm vi – chuyển cơ quan này", "btn review-out-of-scope", () => outOfScope(g.ids, agency));
    const skipAll = button("Bỏ qua cả nhóm", "btn btn-danger review-skip", () => skip(g.ids));
    const row1 = el("div", "review-action-row");
    row1.append(procLabel, procedure, assignAll);
    const row2 = el("div", "review-action-row");
    row2.append(agencyLabel, agency, away, skipAll);
    actions.append(row1, row2);
    li.append(actions);

    const samples = el("ul", "review-samples");
    for (const s of g.samples) samples.append(sampleItem(s, procedure));
    li.append(samples);
    if (g.count > g.samples.length) {
      li.append(el("p", "review-more", "… và " + (g.count - g.samples.length) + " tin nhắn khác giống vậy."));
    }
    return li;
  }

  async function load() {
    const data = await api("GET", "/console/api/review");
    options = { domains: data.domains || [], agencies: data.agencies || [] };
    const list = $("review-groups");
    list.replaceChildren(...data.groups.map(groupItem));
    $("review-loading").hidden = true;
    $("review-empty").hidden = data.groups.length > 0;
    const total = data.groups.reduce((n, g) => n + g.count, 0);
    $("review-count").textContent = total ? "(" + data.groups.length + " nhóm, " + total + " tin nhắn)" : "";
  }

  const RUNNING = ["training", "evaluating", "swapping"];
  let polling = null;

  function retrainLine(r) {
    let line = r.status_label + " (lần " + r.id + ", " + r.requested_by + ", " + when(r.started_at) + ")";
    if (r.reason) line += ". " + r.reason;
    const sets = Object.keys(r.after || {});
    if (r.status === "live" && sets.length) {
      line += ". Tỉ lệ trả lời đúng: " + sets.map((k) => k + " " + (100 * r.before[k].right).toFixed(1) +
        "% → " + (100 * r.after[k].right).toFixed(1) + "%").join("; ");
    }
    return line + ".";
  }

  async function loadRetrains() {
    const data = await api("GET", "/console/api/review/retrain", undefined, true);
    const last = data.retrains[0];
    $("retrain-last").textContent = last ? retrainLine(last) : "Chưa huấn luyện lại lần nào.";
    const running = last && RUNNING.includes(last.status);
    $("retrain-start").disabled = !!running;
    if (running && !polling) polling = setInterval(() => loadRetrains().catch(() => {}), 5000);
    if (!running && polling) { clearInterval(polling); polling = null; }
  }

  async function startRetrain() {
    if (!window.confirm("Huấn luyện lại trợ lý ảo với các câu đã thêm? Việc này mất vài phút; " +
      "trợ lý ảo vẫn trả lời người dân trong lúc đó.")) return;
    try {
      await api("POST", "/console/api/review/retrain", {});
      showStatus("Đã bắt đầu huấn luyện lại.", "info");
      await loadRetrains();
    } catch (e) {
      showStatus(e.message);
    }
  }

  ready(async () => {
    $("retrain-start").addEventListener("click", startRetrain);
    try {
      await signIn();
      await loadRetrains();
      await load();
      hideStatus();
    } catch (e) {
      $("review-loading").hidden = true;
      showStatus(e.message);
    }
  });
})();
