/* Officer console: queue list, open chat, replies. Plain JS on console_core.js.
 * All data is rendered with textContent; never innerHTML. */
"use strict";

(function () {
  const Core = window.ConsoleCore;
  const { $, el, pad } = Core;
  const POLL_MS = 2000;
  const CONN_MSG = Core.CONN_MSG;
  const FROM_LABEL = { citizen: "Công dân", bot: "Trợ lý ảo", officer: "Cán bộ" };

  const state = {
    me: null, selectedId: null, chat: null, canReply: false,
    busy: false, stopped: false, connError: false, unavailable: null, understoodSig: "",
    offset: 0, // server clock minus client clock, seconds
    items: new Map(), // chat id -> {li, parts, chat}
    tKeys: [], // keys of the rendered transcript messages
    stick: true, // the transcript shows its newest message (the officer has not scrolled up)
  };

  function setText(node, text) {
    const t = text == null ? "" : String(text);
    if (node.textContent !== t) node.textContent = t;
  }

  // a link (http or https only: never javascript:) opened in a new tab; hidden without one
  function setLink(a, url) {
    const ok = typeof url === "string" && /^https?:\/\//i.test(url);
    a.hidden = !ok;
    if (ok && a.getAttribute("href") !== url) {
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    } else if (!ok) a.removeAttribute("href");
  }

  const serverNow = () => Date.now() / 1000 + state.offset;
  function fmtDuration(sec) {
    const s = Math.max(0, Math.floor(Number(sec) || 0));
    return pad(Math.floor(s / 60)) + ":" + pad(s % 60);
  }
  function fmtClock(t) {
    const d = new Date(Number(t) * 1000);
    return isNaN(d.getTime()) ? "" : pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  // ---- status area -------------------------------------------------------
  let statusTimer = null;
  function showStatus(msg, kind = "error") {
    const box = $("status");
    setText($("status-text"), msg);
    box.className = "status status-" + kind;
    box.setAttribute("aria-live", kind === "error" ? "assertive" : "polite");
    box.hidden = false;
    clearTimeout(statusTimer);
    if (kind === "info") statusTimer = setTimeout(hideStatus, 6000);
  }
  function hideStatus() {
    clearTimeout(statusTimer);
    $("status").hidden = true;
    setText($("status-text"), "");
  }

  // ---- API ---------------------------------------------------------------
  Core.onLeave(() => { state.stopped = true; });

  async function api(method, path, body, background) {
    const data = await Core.api(method, path, body, background);
    if (state.connError) { // connection recovered
      state.connError = false;
      if ($("status-text").textContent === CONN_MSG) hideStatus();
    }
    return data;
  }

  function handleError(e) {
    if (!e || e.status === 401) return;
    if (e.status === 0) state.connError = true;
    if (e.status === 503) state.unavailable = e.message; // the assistant (Rasa) is down
    showStatus(e.message || "Đã xảy ra lỗi.", "error");
  }

  // ---- queue ---------------------------------------------------------------
  function buildItem(id) {
    const li = el("li", "queue-item");
    li.dataset.chatId = String(id);
    li.tabIndex = 0;
    li.setAttribute("role", "button");
    const top = el("div", "qi-top");
    const parts = { reason: el("span", "qi-reason"), overdue: el("span", "badge badge-overdue"),
      wait: el("span", "qi-wait"), citizen: el("div", "qi-citizen"), unit: el("div", "qi-unit"),
      who: el("div", "qi-who"), preview: el("div", "qi-preview"),
      previewText: el("span"), previewLink: el("a", "map-link", "Xem bản đồ") };
    parts.wait.title = "Thời gian chờ";
    parts.previewLink.addEventListener("click", (ev) => ev.stopPropagation()); // opens the map, not the chat
    parts.preview.append(parts.previewText, " ", parts.previewLink);
    top.append(parts.reason, parts.overdue, parts.wait);
    li.append(top, parts.citizen, parts.unit, parts.who, parts.preview);
    return { li, parts, chat: null };
  }

  function updateItem(entry, c) {
    const { li, parts } = entry;
    entry.chat = c;
    for (const r of ["sos", "tipoff", "requested", "failures", "area_officer"]) li.classList.toggle("reason-" + r, c.reason === r);
    li.classList.toggle("overdue", !!c.overdue);
    li.classList.toggle("active", c.status === "active");
    li.classList.toggle("selected", c.id === state.selectedId);
    li.setAttribute("aria-current", c.id === state.selectedId ? "true" : "false");
    parts.overdue.hidden = !c.overdue;
    setText(parts.overdue, c.overdue ? "Quá hạn" : "");
    setText(parts.reason, c.reason_label || c.reason);
    setText(parts.wait, fmtDuration(serverNow() - c.created_at));
    setText(parts.citizen, c.citizen);
    setText(parts.unit, c.unit_name || c.unit);
    setText(parts.who, c.status === "active" ? "Đang xử lý: " + (c.claimed_by_name || c.claimed_by || "")
      : c.personal_for ? "Chờ cảnh sát khu vực: " + (c.claimed_by_name || c.personal_for) : "Đang chờ");
    setText(parts.previewText, c.last_message || "(Chưa có tin nhắn)");
    setLink(parts.previewLink, c.last_link);
  }

  function renderQueue(data) {
    if (typeof data.now === "number") state.offset = data.now - Date.now() / 1000;
    const chats = Array.isArray(data.chats) ? data.chats : [];
    const list = $("queue"), seen = new Set();
    chats.forEach((c, i) => {
      let entry = state.items.get(c.id);
      if (!entry) { entry = buildItem(c.id); state.items.set(c.id, entry); }
      updateItem(entry, c);
      seen.add(c.id);
      const at = list.children[i];
      if (at !== entry.li) list.insertBefore(entry.li, at || null);
    });
    for (const [id, entry] of state.items) if (!seen.has(id)) { entry.li.remove(); state.items.delete(id); }
    const waiting = chats.filter((c) => c.status === "waiting").length;
    const overdue = chats.filter((c) => c.overdue).length;
    setText($("queue-count"), "(" + chats.length + ")");
    let summary = "Đang chờ: " + waiting + " · Đang xử lý: " + (chats.length - waiting);
    if (overdue) summary += " · Quá hạn: " + overdue;
    if (data.target_wait_seconds) summary += " · Mục tiêu: " + fmtDuration(data.target_wait_seconds);
    setText($("queue-summary"), summary);
    $("queue-empty").hidden = chats.length > 0;
  }

  async function loadQueue(background) {
    renderQueue((await api("GET", "/console/api/queue", undefined, background)) || {});
  }

  // ---- open chat -------------------------------------------------------------
  function select(id) {
    if (state.selectedId === id) return;
    Object.assign(state, { selectedId: id, chat: null, canReply: false, tKeys: [], understoodSig: "", stick: true });
    for (const [cid, entry] of state.items) {
      entry.li.classList.toggle("selected", cid === id);
      entry.li.setAttribute("aria-current", cid === id ? "true" : "false");
    }
    history.replaceState(null, "", id == null ? window.location.pathname : "#chat-" + id);
    $("reply-text").value = "";
    $("transcript").replaceChildren();
    $("understood-list").replaceChildren();
    $("chat-empty").hidden = id != null;
    $("chat-body").hidden = id == null;
    if (id == null) return;
    const cached = state.items.get(id);
    setText($("chat-title"), cached ? (cached.chat.reason_label || "") + " · " + (cached.chat.unit_name || "") : "Đang tải…");
    setText($("chat-citizen"), cached ? cached.chat.citizen : "");
    applyButtons();
    loadChat().catch(handleError);
  }

  async function loadChat(background) {
    const id = state.selectedId;
    if (id == null) return;
    let data;
    try {
      data = await api("GET", "/console/api/chats/" + id, undefined, background);
    } catch (e) {
      if (id !== state.selectedId) return;
      if (e.status !== 404 && e.status !== 403) throw e;
      select(null);
      return showStatus(e.message, "error");
    }
    if (state.unavailable) { // the assistant answers again
      if ($("status-text").textContent === state.unavailable) hideStatus();
      state.unavailable = null;
    }
    if (id === state.selectedId && data && data.chat) renderChat(data);
  }

  function isMine(c) { return !!(c && state.me && c.claimed_by === state.me.username); }

  function applyButtons() {
    const c = state.chat;
    const showClaim = !!c && (c.status === "waiting" || (c.status === "active" && !isMine(c)));
    const claim = $("claim-button");
    claim.hidden = !showClaim;
    claim.disabled = !showClaim || state.busy;
    $("composer").hidden = !state.canReply;
    for (const b of ["reply-button", "transfer-button", "close-button"]) $(b).disabled = !state.canReply || state.busy;
    const hint = $("chat-hint");
    let text = "";
    if (c && !state.canReply) {
      if (c.status === "waiting") text = "Nhấn “Nhận xử lý” để trả lời công dân.";
      else if (c.status === "active" && !isMine(c)) text = "Cuộc trò chuyện đang do " + (c.claimed_by_name || c.claimed_by || "cán bộ khác") + " xử lý.";
      else if (c.status !== "active") text = "Cuộc trò chuyện đã kết thúc.";
    }
    setText(hint, text);
    hint.hidden = !text;
  }

  function updateChatClock() {
    const c = state.chat;
    if (!c) return;
    const end = c.status === "waiting" ? serverNow() : c.claimed_at || serverNow();
    setText($("chat-wait"), "Thời gian chờ: " + fmtDuration(end - c.created_at));
    const fr = $("chat-first-reply");
    fr.hidden = c.status !== "active";
    setText(fr, "Phản hồi đầu tiên: " + (c.first_reply_at ? fmtDuration(c.first_reply_at - c.created_at) : "chưa có"));
  }

  function renderChat(data) {
    const c = data.chat;
    state.chat = c;
    state.canReply = !!data.can_reply;
    setText($("chat-title"), (c.reason_label || c.reason || "") + " · " + (c.unit_name || c.unit || ""));
    $("chat-title").className = "chat-title reason-" + (c.reason || "");
    setText($("chat-citizen"), c.citizen);
    setText($("chat-state"), c.status === "waiting" ? "Đang chờ"
      : c.status === "active" ? "Đang xử lý: " + (c.claimed_by_name || c.claimed_by || "") : "Đã kết thúc");
    $("chat-overdue").hidden = !c.overdue;
    setText($("chat-overdue"), c.overdue ? "Quá hạn" : "");
    updateChatClock();
    applyButtons();
    renderUnderstood(data.understood);
    renderUndelivered(Array.isArray(data.undelivered) ? data.undelivered : []);
    renderTranscript(Array.isArray(data.transcript) ? data.transcript : []);
  }

  // Replies Zalo refused (e.g. the citizen has not written for 7 days): the officer must know.
  function renderUndelivered(rows) {
    const box = $("undelivered");
    box.replaceChildren();
    box.hidden = rows.length === 0;
    if (!rows.length) return;
    box.appendChild(document.createTextNode("Tin nhắn chưa gửi được tới công dân:"));
    const list = document.createElement("ul");
    for (const r of rows) {
      const li = document.createElement("li");
      li.textContent = "“" + r.text + "” – " + (r.error_code ? "mã lỗi Zalo " + r.error_code + ": " : "") + (r.error || "");
      list.appendChild(li);
    }
    box.appendChild(list);
  }

  function renderUnderstood(u) {
    const sig = JSON.stringify(u || null);
    if (sig === state.understoodSig) return;
    state.understoodSig = sig;
    u = u || {};
    const dl = $("understood-list");
    const frag = document.createDocumentFragment();
    const row = (k, v) => frag.append(el("dt", null, k), el("dd", null, v));
    const rows = Array.isArray(u.rows) ? u.rows : [["Thủ tục", u.procedure_name || "Chưa xác định"]];
    for (const r of rows) if (Array.isArray(r) && r[1] != null && r[1] !== "") row(r[0], r[1]);
    dl.replaceChildren(frag);
  }

  function msgKey(m) { return JSON.stringify([m.time, m.from, m.officer, m.text, m.link, m.attachments, m.buttons]); }

  // a file or image of the message: "📎 <name>" / "🖼 Ảnh" as a link (with its thumbnail) when it has one
  function buildAttachment(a) {
    const box = el("div", "msg-attachment attachment-" + (a.kind || "other"));
    const link = el("a", "attachment-link", a.text);
    setLink(link, a.url);
    if (link.hidden) { box.append(el("span", "attachment-name", a.text)); return box; }
    if (typeof a.thumbnail === "string" && /^https:\/\//i.test(a.thumbnail)) {
      const img = el("img", "attachment-thumb");
      img.alt = ""; // the link's text names it
      img.loading = "lazy";
      img.addEventListener("error", () => img.remove()); // not reachable (Zalo's address expired): the link stays
      img.referrerPolicy = "no-referrer";
      img.src = a.thumbnail;
      link.prepend(img);
    }
    box.append(link);
    return box;
  }

  function buildMessage(m) {
    const from = FROM_LABEL[m.from] ? m.from : "bot";
    const row = el("div", "msg msg-" + from);
    const meta = el("div", "msg-meta");
    const who = from === "officer" && m.officer ? "Cán bộ: " + m.officer : FROM_LABEL[from];
    const time = el("time", "msg-time", fmtClock(m.time));
    const d = new Date(Number(m.time) * 1000);
    if (!isNaN(d.getTime())) time.dateTime = d.toISOString();
    meta.append(el("span", "msg-who", who), time);
    const text = el("div", "msg-text");
    for (const a of Array.isArray(m.attachments) ? m.attachments : []) text.append(buildAttachment(a));
    if (m.text) text.append(el("span", "msg-line", m.text));
    if (m.link) {
      const a = el("a", "map-link", "Xem bản đồ");
      setLink(a, m.link);
      if (!a.hidden) text.append(" ", a);
    }
    row.append(meta, text);
    const buttons = Array.isArray(m.buttons) ? m.buttons : [];
    if (buttons.length) { // the buttons the citizen saw under the message
      const chips = el("div", "msg-buttons");
      chips.setAttribute("role", "group");
      chips.setAttribute("aria-label", "Các nút kèm tin nhắn");
      for (const b of buttons) chips.append(el("span", "chip", b));
      row.append(chips);
    }
    return row;
  }

  function renderTranscript(list) {
    const box = $("transcript");
    const keys = list.map(msgKey);
    const old = state.tKeys;
    let same = old.length <= keys.length && old.every((k, i) => k === keys[i]);
    if (same && old.length === keys.length && (keys.length || box.firstChild)) return;
    const frag = document.createDocumentFragment();
    if (!same || !old.length) box.replaceChildren();
    const start = same ? old.length : 0;
    if (!keys.length) frag.append(el("p", "transcript-empty", "Chưa có tin nhắn."));
    for (let i = start; i < list.length; i++) frag.append(buildMessage(list[i]));
    box.append(frag);
    state.tKeys = keys;
    if (state.stick) toNewest();
  }

  // the newest message stays in view (new messages, the reply box appearing) unless the officer scrolled up
  function toNewest() { const box = $("transcript"); box.scrollTop = box.scrollHeight; }
  function keepNewestInView() {
    const box = $("transcript");
    let height = box.clientHeight; // a scroll that comes with a new height is the layout's (the reply box, the status bar)
    box.addEventListener("scroll", () => {
      if (box.clientHeight !== height) { height = box.clientHeight; if (state.stick) toNewest(); return; }
      state.stick = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    });
    if (window.ResizeObserver) new ResizeObserver(() => { if (state.stick) toNewest(); }).observe(box);
  }

  // ---- actions ---------------------------------------------------------------
  async function act(fn) {
    if (state.busy || state.selectedId == null) return;
    state.busy = true;
    applyButtons();
    await fn(state.selectedId).catch(handleError);
    state.busy = false;
    applyButtons();
    await Promise.all([loadQueue(true), loadChat(true)]).catch(handleError);
  }

  const claim = () => act(async (id) => {
    await api("POST", "/console/api/chats/" + id + "/claim");
    showStatus("Đã nhận xử lý cuộc trò chuyện.", "info");
    await loadChat();
    if (state.canReply) $("reply-text").focus();
  });

  function sendReply() {
    const ta = $("reply-text");
    const text = ta.value.trim();
    if (!state.canReply) return;
    if (!text) { showStatus("Vui lòng nhập nội dung trả lời.", "error"); ta.focus(); return; }
    act(async (id) => {
      await api("POST", "/console/api/chats/" + id + "/reply", { text });
      if (id === state.selectedId) { ta.value = ""; ta.focus(); }
    });
  }

  const transfer = () => {
    const sel = $("transfer-unit");
    if (!sel.value) { showStatus("Vui lòng chọn đơn vị cần chuyển đến.", "error"); sel.focus(); return; }
    const name = sel.options[sel.selectedIndex].textContent;
    if (!window.confirm("Chuyển cuộc trò chuyện này đến " + name + "?")) return;
    act(async (id) => {
      const result = await api("POST", "/console/api/chats/" + id + "/transfer", { to: sel.value });
      sel.value = "";
      if (id === state.selectedId) select(null); // the chat has left this officer's hands
      if (result && result.warning) showStatus(result.warning, "error"); // moved, but the citizen was not told
      else showStatus("Đã chuyển cuộc trò chuyện đến " + name + ".", "info");
    });
  };

  const closeChat = () => {
    const c = state.chat;
    const what = c ? (c.reason_label || c.reason || "") + " · " + (c.unit_name || c.unit || "") : "";
    if (!window.confirm("Kết thúc cuộc trò chuyện " + (what ? "“" + what + "” " : "") +
      "và trả công dân về trợ lý ảo?")) return;
    act(async (id) => {
      await api("POST", "/console/api/chats/" + id + "/close");
      showStatus("Đã kết thúc cuộc trò chuyện.", "info");
      if (id === state.selectedId) select(null);
    });
  };

  // ---- setup -------------------------------------------------------------------
  function fillSelect(sel, rows, value, label) {
    sel.replaceChildren(sel.options[0]); // keep the placeholder option
    for (const r of rows) sel.append(Object.assign(el("option", null, label(r)), { value: value(r) }));
  }

  function queueItemFrom(target) {
    const li = target && target.closest ? target.closest(".queue-item") : null;
    return li && $("queue").contains(li) ? li : null;
  }

  function bindEvents() {
    keepNewestInView();
    const queue = $("queue");
    queue.addEventListener("click", (ev) => {
      const li = queueItemFrom(ev.target);
      if (li) select(Number(li.dataset.chatId));
    });
    queue.addEventListener("keydown", (ev) => {
      const li = queueItemFrom(ev.target);
      if (!li) return;
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        select(Number(li.dataset.chatId));
      } else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        const next = ev.key === "ArrowDown" ? li.nextElementSibling : li.previousElementSibling;
        if (next) next.focus();
      }
    });
    $("status-dismiss").addEventListener("click", hideStatus);
    $("claim-button").addEventListener("click", () => { claim(); });
    $("transfer-button").addEventListener("click", transfer);
    $("close-button").addEventListener("click", () => { closeChat(); });
    $("composer").addEventListener("submit", (ev) => { ev.preventDefault(); sendReply(); });
    $("reply-text").addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); sendReply(); }
    });
    $("canned").addEventListener("change", (ev) => {
      const sel = ev.target;
      if (!sel.value) return;
      const ta = $("reply-text");
      ta.value = sel.value;
      sel.value = "";
      ta.focus();
      ta.setSelectionRange(ta.value.length, ta.value.length);
    });
    document.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && !$("status").hidden) hideStatus();
    });
  }

  function tickClocks() {
    for (const e of state.items.values()) if (e.chat) setText(e.parts.wait, fmtDuration(serverNow() - e.chat.created_at));
    updateChatClock();
  }

  async function poll() {
    if (state.stopped) return;
    await Promise.all([loadQueue(true), loadChat(true)]).catch(handleError);
    if (!state.stopped) setTimeout(poll, POLL_MS);
  }

  async function start() {
    try {
      state.me = await Core.signIn();
    } catch (e) {
      handleError(e);
      if (!state.stopped) setTimeout(() => { start().catch(handleError); }, 3000);
      return;
    }
    api("GET", "/console/api/canned").then((rows) => {
      fillSelect($("canned"), Array.isArray(rows) ? rows : [], (r) => r.text, (r) => r.title);
    }).catch(handleError);
    api("GET", "/console/api/transfer-targets").then((rows) => {
      fillSelect($("transfer-unit"), Array.isArray(rows) ? rows : [], (r) => r.id, (r) => r.name);
    }).catch(handleError);
    const m = /^#chat-(\d+)$/.exec(window.location.hash);
    if (m) select(Number(m[1]));
    setInterval(tickClocks, 1000);
    poll();
  }

  Core.ready(() => { bindEvents(); start().catch(handleError); });
})();
