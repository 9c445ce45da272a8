/*
 * ratchet admin console (docs/ADMIN.md). Plain script, no build step, no dependencies.
 *
 *  - The page is served at {base}/admin/; the API is ./api/…, the library routes are
 *    ../session/refresh, ../signin and ../signout, all found relative to the page's URL.
 *  - Cookie mode: the tokens are HttpOnly cookies the page never sees. Every request carries
 *    the anti-CSRF `rid` header and same-origin credentials.
 *  - A 401 from the API means: refresh once (one refresh at a time), then retry once. If the
 *    refresh is refused, the session is gone and the sign-in form is shown.
 *  - 403 {"message":"forbidden"} means the session is not an admin's: the page shows "Not an
 *    administrator" and drops everything it had shown.
 *  - A destructive action refused for an old sign-in (403 "invalid claim", id auth_time)
 *    asks the admin to sign in again, then retries the action once.
 *  - Everything that comes from the server (user ids, user agents, event reasons…) is put in
 *    the page with textContent, never parsed as HTML.
 */
"use strict";
(() => {
  const $ = id => document.getElementById(id);

  /* ------------------------------------------------------------ where things are */
  // The page's own directory ({base}/admin/), even if it was reached without the slash.
  const DIR = (() => {
    let p = location.pathname;
    if (!p.endsWith("/")) p = /\/admin$/.test(p) ? p + "/" : p.slice(0, p.lastIndexOf("/") + 1);
    return new URL(p, location.origin);
  })();
  const url = rel => new URL(rel, DIR).pathname;
  const API = url("api/"), REFRESH = url("../session/refresh"), SIGNIN = url("../signin"), SIGNOUT = url("../signout");
  const FEED_MS = 3000, STATS_EVERY = 5; // the feed every 3 s; the counts every 5th poll

  /* ------------------------------------------------------------ talking to the server */
  // Stop is thrown when an answer changed what the page shows (signed out, not an admin):
  // whoever made the call just stops.
  class Stop extends Error {}

  function send(method, path, body, extra) {
    const headers = Object.assign({ rid: "anti-csrf", "st-auth-mode": "cookie" }, extra);
    if (body !== undefined) headers["content-type"] = "application/json";
    return fetch(path, {
      method, headers, credentials: "same-origin", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async function readJSON(res) { try { return await res.json(); } catch { return null; } }

  // generation moves on every new set of tokens (refresh, sign-in): a request that failed
  // with older tokens just retries, without refreshing again.
  let generation = 0;
  let refreshing = null;
  // refresh resolves "ok", "gone" (the session is over) or "error" (try later).
  function refresh() {
    if (!refreshing) {
      refreshing = (async () => {
        try {
          const res = await fetch(REFRESH, { method: "POST", credentials: "same-origin", cache: "no-store", headers: { rid: "session" } });
          if (res.status === 200) { generation++; return "ok"; }
          return res.status === 401 ? "gone" : "error";
        } catch { return "error"; }
      })().finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  // api calls {base}/admin/api/<path> and resolves {status, body}. It handles the answers
  // that change the whole page (401 after a failed refresh, 403 forbidden) and throws Stop.
  async function api(method, path, body) {
    const seen = generation;
    let res = await send(method, API + path, body);
    if (res.status === 401) {
      let retry = generation !== seen;
      if (!retry) {
        const r = await refresh();
        if (r === "gone") { sessionEnded(); throw new Stop(); }
        if (r === "error") throw new Error("the session could not be refreshed; try again");
        retry = true;
      }
      res = await send(method, API + path, body);
      if (res.status === 401) { sessionEnded(); throw new Stop(); }
    }
    const data = await readJSON(res);
    if (res.status === 403 && data && data.message === "forbidden") { showForbidden(); throw new Stop(); }
    return { status: res.status, body: data };
  }

  const needsRecentAuth = r => r.status === 403 && r.body && Array.isArray(r.body.claimValidationErrors) &&
    r.body.claimValidationErrors.some(c => c && c.id === "auth_time");

  // act runs a destructive action (a POST). When the server wants a more recent sign-in, it
  // asks for one and retries once; it resolves null when the admin cancels.
  async function act(path, body) {
    let r = await api("POST", path, body);
    if (needsRecentAuth(r)) {
      if (!(await reauthenticate())) return null;
      r = await api("POST", path, body);
    }
    return r;
  }

  const errText = r => (r.body && typeof r.body.message === "string" ? r.body.message : "") + " (HTTP " + r.status + ")";

  /* ------------------------------------------------------------ views */
  let view = "loading";
  let me = null;          // GET api/me
  let wasSignedIn = false;
  let endNote = "";       // why the session ended, shown above the sign-in form

  function setView(v) {
    view = v;
    document.body.dataset.view = v;
    $("loading").hidden = v !== "loading";
    $("console").hidden = v !== "console";
    $("forbidden").hidden = v !== "forbidden";
    $("whoami").hidden = v !== "console";
    $("signout").hidden = v !== "console" && v !== "forbidden";
    if (v !== "console") { stopFeed(); clearData(); }
    if (v === "signin") showAuth("signin");
    else if (!reauthPending) hideAuth();
  }

  function sessionEnded() {
    if (view === "signin") return;
    const note = endNote || (wasSignedIn ? "Your session has ended. Sign in again to continue." : "");
    endNote = "";
    me = null;
    if (reauthPending) { reauthPending(false); reauthPending = null; }
    setView("signin");
    setAuthReason(note);
  }

  function showForbidden() {
    me = null;
    if (reauthPending) { reauthPending(false); reauthPending = null; }
    hideAuth();
    setView("forbidden");
  }

  // clearData drops everything the console showed, so nothing lingers for the next viewer.
  function clearData() {
    for (const id of ["user-results", "devices-body", "events-body", "keys-body"]) $(id).replaceChildren();
    for (const id of ["stat-live", "stat-signins", "stat-failures", "stat-refreshes", "stat-revocations", "stat-thefts"]) $(id).textContent = "–";
    for (const id of ["stats-audit", "stats-window", "keys-next", "devices-user", "whoami"]) $(id).textContent = "";
    $("events-note").hidden = $("keys-note").hidden = $("flash").hidden = true;
    selectedUser = null;
    lastEvents = "";
    renderDeviceButtons();
  }

  async function boot() {
    try {
      const r = await api("GET", "me");
      if (r.status !== 200) { setView("signin"); setAuthReason("The admin API answered " + errText(r) + "."); return; }
      me = r.body;
      wasSignedIn = true;
      setView("console");
      renderWho();
      loadStats();
      loadKeys();
      startFeed();
    } catch (err) {
      if (err instanceof Stop) return;
      setView("signin");
      setAuthReason("Could not reach the admin API: " + err.message);
    }
  }

  /* ------------------------------------------------------------ sign-in */
  let reauthPending = null; // resolves the promise of reauthenticate()

  function showAuth(mode) {
    const a = $("auth");
    a.hidden = false;
    a.dataset.mode = mode;
    a.classList.toggle("overlay", mode === "reauth");
    $("auth-title").textContent = mode === "reauth" ? "Sign in again to confirm" : "Sign in";
    $("signin-cancel").hidden = mode !== "reauth";
    $("signin-error").textContent = "";
    $("signin-password").value = "";
    ($("signin-email").value ? $("signin-password") : $("signin-email")).focus();
  }
  function hideAuth() { $("auth").hidden = true; $("auth").classList.remove("overlay"); }
  function setAuthReason(text) { $("auth-reason").textContent = text; $("auth-reason").hidden = !text; }

  function reauthenticate() {
    return new Promise(resolve => {
      if (reauthPending) reauthPending(false);
      reauthPending = resolve;
      showAuth("reauth");
      setAuthReason("This action needs a recent sign-in. Sign in again to confirm it.");
    });
  }

  $("signin-cancel").addEventListener("click", () => {
    hideAuth();
    if (reauthPending) { reauthPending(false); reauthPending = null; }
  });

  $("signin-form").addEventListener("submit", async e => {
    e.preventDefault();
    const email = $("signin-email").value.trim(), password = $("signin-password").value;
    if (!email || !password) { $("signin-error").textContent = "Enter your email and password."; return; }
    $("signin-error").textContent = "";
    $("signin-btn").disabled = true;
    try {
      const res = await send("POST", SIGNIN, { email, password });
      const body = await readJSON(res);
      if (res.status === 200 && body && body.status === "OK") {
        generation++;
        $("signin-password").value = "";
        setAuthReason("");
        if (reauthPending && $("auth").dataset.mode === "reauth") {
          const done = reauthPending;
          reauthPending = null;
          hideAuth();
          done(true);
          refreshMe();
        } else {
          hideAuth();
          setView("loading");
          boot();
        }
      } else if (res.status === 200 && body && body.status === "WRONG_CREDENTIALS_ERROR") {
        $("signin-error").textContent = "Wrong email or password.";
      } else if (res.status === 429) {
        $("signin-error").textContent = "Too many attempts; try again later.";
      } else if (res.status === 403) {
        $("signin-error").textContent = "Sign-in refused from this page's origin (" + location.origin + ").";
      } else {
        $("signin-error").textContent = "Sign-in failed (HTTP " + res.status + ").";
      }
    } catch (err) {
      $("signin-error").textContent = "Network error: " + err.message;
    } finally {
      $("signin-btn").disabled = false;
    }
  });

  $("signout").addEventListener("click", async () => {
    $("signout").disabled = true;
    try { await send("POST", SIGNOUT); } catch { /* signed out locally anyway */ }
    $("signout").disabled = false;
    wasSignedIn = false;
    me = null;
    setView("signin");
    setAuthReason("");
  });

  /* ------------------------------------------------------------ helpers */
  const el = (tag, props, ...children) => {
    const n = document.createElement(tag);
    if (props) for (const [k, v] of Object.entries(props)) {
      if (k === "dataset") Object.assign(n.dataset, v);
      else if (k === "class") n.className = v;
      else if (k === "testid") n.dataset.testid = v;
      else n[k] = v;
    }
    for (const c of children) if (c !== null && c !== undefined) n.append(c instanceof Node ? c : String(c));
    return n;
  };
  const fmtTime = ms => ms ? new Date(ms).toLocaleString([], { dateStyle: "short", timeStyle: "medium" }) : "–";
  const fmtShort = ms => ms ? new Date(ms).toLocaleString([], { dateStyle: "short", timeStyle: "short" }) : "–";
  const fmtClock = ms => {
    if (!ms) return "–";
    const d = new Date(ms);
    return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : fmtTime(ms);
  };
  const short = h => h && h.length > 12 ? h.slice(0, 8) + "…" : (h || "");
  const emptyRow = (cols, text) => el("tr", null, el("td", { class: "empty", colSpan: cols, textContent: text }));

  let flashTimer = null;
  function flash(text, ok) {
    const f = $("flash");
    f.textContent = text;
    f.className = "flash " + (ok ? "ok" : "bad");
    f.dataset.kind = ok ? "ok" : "error";
    f.hidden = false;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => { f.hidden = true; }, 8000);
  }

  // guard runs an event handler: Stop is expected, anything else is shown.
  const guard = fn => async (...args) => {
    try { await fn(...args); } catch (err) { if (!(err instanceof Stop)) flash(err.message || String(err), false); }
  };

  /* ------------------------------------------------------------ who am I */
  async function refreshMe() {
    try {
      const r = await api("GET", "me");
      if (r.status === 200) { me = r.body; renderWho(); }
    } catch (err) { if (!(err instanceof Stop)) throw err; }
  }

  function renderWho() {
    if (!me) return;
    const recent = me.recentAuthUntil && me.recentAuthUntil > Date.now();
    $("whoami").replaceChildren("Signed in as ", el("b", { textContent: me.userId }),
      el("span", { class: "recent" + (recent ? "" : " stale"),
        textContent: recent ? "changes allowed until " + new Date(me.recentAuthUntil).toLocaleTimeString() : "changes ask you to sign in again" }));
  }
  setInterval(() => { if (view === "console") renderWho(); }, 15000);

  /* ------------------------------------------------------------ counts */
  async function loadStats() {
    const r = await api("GET", "stats?hours=24");
    if (r.status !== 200) { $("stats-audit").textContent = "Counts unavailable: " + errText(r); return; }
    const s = r.body;
    $("stat-live").textContent = s.liveSessions === null || s.liveSessions === undefined ? "–" : String(s.liveSessions);
    const sum = k => Array.isArray(s.hours) ? s.hours.reduce((n, h) => n + (h[k] || 0), 0) : null;
    const put = (id, v) => { $(id).textContent = v === null ? "–" : String(v); };
    put("stat-signins", sum("signIns"));
    put("stat-failures", sum("signInFailures"));
    put("stat-refreshes", sum("refreshes"));
    put("stat-revocations", sum("revocations"));
    put("stat-thefts", sum("thefts"));
    $("stat-thefts").parentElement.classList.toggle("nonzero", (sum("thefts") || 0) > 0);
    $("stats-window").textContent = Array.isArray(s.hours) ? "last " + s.hours.length + " h" : "";
    const a = s.audit;
    $("stats-audit").textContent = !Array.isArray(s.hours) ? "Hourly counts need an audit log that can count." :
      a && a.enabled ? `Audit log: ${a.written} written, ${a.queued} queued, ${a.dropped} dropped, ${a.failed} failed.` :
      a ? "Audit log off." : "";
  }
  $("stats-reload").addEventListener("click", guard(loadStats));

  /* ------------------------------------------------------------ users and devices */
  let selectedUser = null;

  $("user-search").addEventListener("submit", guard(async e => {
    e.preventDefault();
    const q = $("user-q").value.trim();
    if (!q) return;
    const r = await api("GET", "users?q=" + encodeURIComponent(q));
    if (r.status !== 200) { flash("Search failed: " + errText(r), false); return; }
    const users = r.body.users || [];
    const items = users.map(u => {
      const b = el("button", { type: "button", dataset: { userId: u.userId }, testid: "user-result" },
        el("span", { class: "mono", textContent: u.userId }),
        el("span", { class: "count", textContent: u.liveSessions + (u.liveSessions === 1 ? " live session" : " live sessions") }));
      b.addEventListener("click", guard(() => selectUser(u.userId)));
      return el("li", null, b);
    });
    if (!items.length) items.push(el("li", { class: "empty", textContent: "No user found." }));
    $("user-results").replaceChildren(...items);
    if (users.length === 1) await selectUser(users[0].userId);
  }));

  async function selectUser(id) {
    selectedUser = id;
    for (const b of $("user-results").querySelectorAll("button")) b.classList.toggle("selected", b.dataset.userId === id);
    $("devices-user").textContent = id;
    renderDeviceButtons();
    await loadDevices();
    if ($("events-user-only").checked) pollNow();
  }

  function renderDeviceButtons() {
    $("devices-reload").disabled = $("revoke-user").disabled = !selectedUser;
    $("events-user-only").disabled = !selectedUser;
    if (!selectedUser) $("events-user-only").checked = false;
  }

  async function loadDevices() {
    if (!selectedUser) return;
    const user = selectedUser;
    const r = await api("GET", "sessions?userId=" + encodeURIComponent(user));
    if (user !== selectedUser) return;
    if (r.status !== 200) { flash("Could not list the devices: " + errText(r), false); return; }
    const rows = (r.body.sessions || []).map(s => {
      const revoke = el("button", { type: "button", class: "danger small revoke", textContent: "Revoke", testid: "revoke-session" });
      revoke.addEventListener("click", guard(async () => {
        revoke.disabled = true;
        try {
          const res = await act("sessions/revoke", { sessionHandle: s.sessionHandle });
          if (!res) return;
          if (res.status === 200) flash(res.body.revoked ? "Session revoked: " + (s.device || short(s.sessionHandle)) + "." : "That session was already gone.", true);
          else flash("Revoke failed: " + errText(res), false);
          await loadDevices();
          pollNow();
        } finally { revoke.disabled = false; }
      }));
      return el("tr", { dataset: { handle: s.sessionHandle, status: s.status || "" }, testid: "device" },
        el("td", null, el("span", { textContent: s.device || "Unknown device" }), el("span", { class: "ua", textContent: s.userAgent || "", title: s.userAgent || "" })),
        el("td", { class: "mono", textContent: s.ip || "–" }),
        el("td", { class: "when", textContent: fmtShort(s.createdAt), title: fmtTime(s.createdAt) }),
        el("td", { class: "when", textContent: fmtShort(s.lastActiveAt), title: fmtTime(s.lastActiveAt) }),
        el("td", null, el("span", { class: "chip " + (s.status === "active" ? "active" : "idle"), textContent: s.status || "?" })),
        el("td", null, revoke));
    });
    if (!rows.length) rows.push(emptyRow(6, "No live sessions."));
    $("devices-body").replaceChildren(...rows);
  }
  $("devices-reload").addEventListener("click", guard(loadDevices));

  $("revoke-user").addEventListener("click", guard(async () => {
    const user = selectedUser;
    if (!user || !confirm("Revoke every session of " + user + "?")) return;
    $("revoke-user").disabled = true;
    try {
      const r = await act("users/revoke", { userId: user });
      if (!r) return;
      if (r.status === 200) flash("Revoked " + (r.body.revoked || []).length + " session(s) of " + user + ".", true);
      else flash("Revoke failed: " + errText(r), false);
      await loadDevices();
      pollNow();
    } finally { renderDeviceButtons(); }
  }));

  /* ------------------------------------------------------------ log everyone out */
  const PHRASE = "REVOKE ALL";
  $("revoke-all-confirm").addEventListener("input", () => { $("revoke-all").disabled = $("revoke-all-confirm").value !== PHRASE; });
  $("revoke-all-form").addEventListener("submit", guard(async e => {
    e.preventDefault();
    if ($("revoke-all-confirm").value !== PHRASE) return;
    $("revoke-all").disabled = true;
    try {
      const r = await act("revoke-all", { confirm: PHRASE });
      if (!r) return;
      if (r.status === 200) {
        $("revoke-all-confirm").value = "";
        endNote = "You logged everyone out (" + r.body.revoked + " sessions), yourself included. Sign in again to continue.";
        await refreshMe(); // our own session is gone too: this shows the sign-in form
      } else {
        flash("Log everyone out failed: " + errText(r), false);
      }
    } finally { $("revoke-all").disabled = $("revoke-all-confirm").value !== PHRASE; }
  }));

  /* ------------------------------------------------------------ events */
  let feedTimer = null, ticks = 0, lastEvents = "", feedRun = 0;
  const WARN = new Set(["forged_refresh_token", "csrf_rejected", "admin_denied", "rate_limited", "key_revoked", "unknown_token", "stale_refresh_token"]);

  // eventTypes turns the filter's value into the API's types: one type, or "-type" for every
  // type the filter lists but that one (refreshes are routine and frequent).
  function eventTypes(v) {
    if (!v.startsWith("-")) return [v];
    return [...$("event-type").options].map(o => o.value).filter(t => t && !t.startsWith("-") && t !== v.slice(1));
  }

  function startFeed() { stopFeed(); ticks = 0; tick(++feedRun); }
  function stopFeed() { clearTimeout(feedTimer); feedTimer = null; feedRun++; }
  function pollNow() { if (view === "console") startFeed(); }

  async function tick(run) {
    if (run !== feedRun || view !== "console") return;
    try {
      if (!$("events-pause").checked) await loadEvents();
      if (ticks > 0 && ticks % STATS_EVERY === 0) await loadStats();
      $("events-live").classList.remove("down");
    } catch (err) {
      if (err instanceof Stop) return;
      $("events-live").classList.add("down");
    }
    ticks++;
    if (run === feedRun && view === "console") feedTimer = setTimeout(() => tick(run), FEED_MS);
  }

  async function loadEvents() {
    const q = new URLSearchParams({ limit: "100" });
    const type = $("event-type").value;
    if (type) q.set("types", eventTypes(type).join(","));
    if ($("events-user-only").checked && selectedUser) q.set("userId", selectedUser);
    const r = await api("GET", "events?" + q);
    if (r.status === 404) {
      $("events-note").textContent = "This store keeps no audit log: there are no events to show.";
      $("events-note").hidden = false;
      return;
    }
    if (r.status !== 200) throw new Error("events: " + errText(r));
    $("events-note").hidden = true;
    const events = r.body.events || [];
    const key = q + "|" + events.map(ev => ev.id).join(",");
    if (key === lastEvents) return; // nothing new: leave the rows (and any selection) alone
    lastEvents = key;
    const rows = events.map(ev => {
      const theft = ev.type === "token_theft";
      const typeCell = el("td", { class: "type" });
      if (theft) typeCell.append(el("span", { class: "theft-label", textContent: "Theft", testid: "theft-label" }));
      typeCell.append(el("code", { textContent: ev.type }));
      const details = el("td", { class: "details" });
      if (ev.reason) details.append(el("span", { textContent: ev.reason }));
      if (ev.actor) details.append(el("span", { class: "chip", textContent: "by " + ev.actor }));
      if (ev.userAgent) details.append(el("span", { class: "ua", textContent: ev.userAgent, title: ev.userAgent }));
      return el("tr", {
        class: "event" + (theft ? " theft" : WARN.has(ev.type) ? " warn" : ""),
        dataset: { id: ev.id || "", type: ev.type || "", userId: ev.userId || "", handle: ev.sessionHandle || "" },
        testid: "event",
      },
        el("td", { class: "time", textContent: fmtClock(ev.time), title: fmtTime(ev.time) }),
        typeCell,
        el("td", { class: "mono", textContent: ev.userId || "–" }),
        el("td", { class: "mono", textContent: short(ev.sessionHandle) || "–", title: ev.sessionHandle || "" }),
        el("td", { class: "mono", textContent: ev.ip || "–" }),
        details);
    });
    if (!rows.length) rows.push(emptyRow(6, type && !type.startsWith("-") ? "No " + type + " events." : "No events yet."));
    $("events-body").replaceChildren(...rows);
  }

  $("event-type").addEventListener("change", () => { lastEvents = ""; pollNow(); });
  $("events-user-only").addEventListener("change", () => { lastEvents = ""; pollNow(); });
  $("events-pause").addEventListener("change", () => {
    $("events-live").classList.toggle("paused", $("events-pause").checked);
    $("events-live").textContent = $("events-pause").checked ? "paused" : "live";
    if (!$("events-pause").checked) pollNow();
  });

  /* ------------------------------------------------------------ keys */
  async function loadKeys() {
    const r = await api("GET", "keys");
    if (r.status !== 200) { $("keys-note").textContent = "Keys unavailable: " + errText(r); $("keys-note").hidden = false; return; }
    const k = r.body;
    const managed = k.managed === true;
    $("keys-rotate").disabled = !managed;
    $("keys-note").hidden = managed;
    $("keys-note").textContent = managed ? "" : "This key ring is static (configured keys): rotate and revoke are not available here.";
    $("keys-next").textContent = managed && k.nextRotation ? "next rotation " + fmtTime(k.nextRotation) : "";
    const rows = (k.keys || []).map(key => {
      const state = el("td");
      if (key.revoked) state.append(el("span", { class: "chip revoked", textContent: "revoked" }));
      else {
        if (key.signing) state.append(el("span", { class: "chip signing", textContent: "signing" }));
        if (key.verifying) state.append(el("span", { class: "chip", textContent: "verifying" }));
        if (!key.signing && !key.verifying) state.append(el("span", { class: "chip retired", textContent: "retired" }));
      }
      const act = el("td");
      if (managed && !key.revoked) {
        const b = el("button", { type: "button", class: "danger small revoke-key", textContent: "Revoke", testid: "revoke-key" });
        b.addEventListener("click", guard(() => revokeKey(key.kid, b)));
        act.append(b);
      }
      return el("tr", { dataset: { kid: key.kid, revoked: String(!!key.revoked), signing: String(!!key.signing) }, testid: "key" },
        el("td", { class: "mono", textContent: key.kid }),
        el("td", { textContent: key.algorithm || "–" }),
        el("td", { class: "when", textContent: fmtShort(key.createdAt), title: fmtTime(key.createdAt) }),
        el("td", { class: "when", textContent: fmtShort(key.signAfter), title: fmtTime(key.signAfter) }),
        el("td", { class: "when", textContent: fmtShort(key.retireAt), title: fmtTime(key.retireAt) }),
        el("td", { class: "when", textContent: fmtShort(key.verifyUntil), title: fmtTime(key.verifyUntil) }),
        state, act);
    });
    if (!rows.length) rows.push(emptyRow(8, "No keys."));
    $("keys-body").replaceChildren(...rows);
  }
  $("keys-reload").addEventListener("click", guard(loadKeys));

  $("keys-rotate").addEventListener("click", guard(async () => {
    $("keys-rotate").disabled = true;
    try {
      const r = await act("keys/rotate", {});
      if (!r) return;
      if (r.status === 200) flash("New signing key " + r.body.kid + ".", true);
      else flash("Rotation failed: " + errText(r), false);
      await loadKeys();
      pollNow();
    } finally { $("keys-rotate").disabled = false; }
  }));

  async function revokeKey(kid, button) {
    if (!confirm("Revoke signing key " + kid + "? Tokens it signed stop verifying at once; users refresh once.")) return;
    button.disabled = true;
    try {
      const r = await act("keys/revoke", { kid });
      if (!r) return;
      if (r.status === 200) flash("Key " + kid + " revoked.", true);
      else flash("Key revocation failed: " + errText(r), false);
      await loadKeys();
      pollNow();
    } finally { button.disabled = false; }
  }

  /* ------------------------------------------------------------ start */
  boot();
})();
