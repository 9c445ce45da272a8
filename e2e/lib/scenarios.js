// The scenarios of issue 8. Each runs with every client (lib/clients.js) against a running
// example. Waiting for an access token to expire uses real time in the browser; nothing
// asserts on how long anything took.
"use strict";
const assert = require("node:assert/strict");
const { sleep } = require("./world");
const { BLANK } = require("./sdk");

const ALICE = "alice@example.com", BOB = "bob@example.com";

// The examples run with this ROTATION_GRACE (lib/suite.js).
const ROTATION_GRACE_MS = 4000;

async function signedIn(w, c, label, email = ALICE) {
  const ctx = await w.context();
  const page = await w.page(ctx, label);
  await c.open(page, w.origin);
  await c.signIn(page, email);
  return { ctx, page };
}

// waitForExpiry sleeps until the page's access token is certainly refused: the contract lets
// the server accept it for up to 1 s after its expiry.
async function waitForExpiry(c, page) {
  const ate = await c.accessExpiry(page);
  await sleep(Math.max(0, ate + 1200 - Date.now()));
}

// The refresh token the client holds: the HttpOnly cookie (cookie mode) or the SDK's copy of
// st-refresh-token (header mode).
// The examples' token cookies: Secure and prefixed even on http://127.0.0.1 (only the
// engine's explicit Cookies.Insecure drops that; browsers accept Secure cookies from
// loopback origins).
const ACCESS_COOKIE = "__Host-sAccessToken", REFRESH_COOKIE = "__Secure-sRefreshToken";

async function stealRefreshToken(c, ctx) {
  const cookies = await ctx.cookies();
  const name = c.mode === "cookie" ? REFRESH_COOKIE : "st-refresh-token";
  const ck = cookies.find(k => k.name === name);
  assert.ok(ck, `the client holds ${name}`);
  return c.mode === "cookie" ? { cookie: ck } : { bearer: decodeURIComponent(ck.value) };
}

// rawRefresh posts to the refresh route from a page with no client on it.
function rawRefresh(page, stolen) {
  return page.evaluate(async bearer => {
    const headers = { rid: "session" };
    if (bearer) headers.authorization = "Bearer " + bearer;
    const res = await fetch("/auth/session/refresh", { method: "POST", headers, credentials: "same-origin" });
    let body = null; try { body = await res.json(); } catch {}
    return { status: res.status, body, refreshToken: res.headers.get("st-refresh-token") };
  }, stolen && stolen.bearer ? stolen.bearer : null);
}

async function blankPage(w, ctx, label) {
  const page = await w.page(ctx, label);
  await page.goto(w.origin + BLANK);
  return page;
}

const SCENARIOS = [
  {
    name: c => `sign-in (${c.mode} mode)`,
    async run({ w, c }) {
      const ctx = await w.context();
      const page = await w.page(ctx, "tab");
      await c.open(page, w.origin);
      assert.equal(await c.exists(page), false, "no session before sign-in");
      await w.shot(page, "signed-out");
      assert.match(await c.wrongPassword(page, ALICE), /wrong/i, "a wrong password is refused");
      assert.equal(await c.exists(page), false);
      await c.signIn(page, ALICE);
      await w.shot(page, "signed-in");
      const me = await c.call(page, "GET", "/api/me");
      assert.equal(me.status, 200);
      assert.equal(me.body.userId, "user-alice");
      const cookies = await ctx.cookies();
      const named = n => cookies.find(k => k.name === n);
      if (c.mode === "cookie") {
        const at = named(ACCESS_COOKIE), rt = named(REFRESH_COOKIE);
        assert.ok(at && rt, "both token cookies are set, Secure and prefixed");
        assert.equal(at.httpOnly, true); assert.equal(at.path, "/"); assert.equal(at.sameSite, "Lax"); assert.equal(at.secure, true);
        assert.equal(rt.httpOnly, true); assert.equal(rt.path, "/auth/session/refresh"); assert.equal(rt.sameSite, "Lax"); assert.equal(rt.secure, true);
        assert.equal(named("sAccessToken"), undefined, "no unprefixed token cookie");
      } else {
        assert.equal(named(ACCESS_COOKIE), undefined, "no token cookie in header mode");
        assert.equal(named(REFRESH_COOKIE), undefined, "no token cookie in header mode");
        assert.ok(named("st-access-token") && named("st-refresh-token"), "the SDK keeps the header tokens");
      }
      await c.open(page, w.origin); // a reload keeps the session
      assert.equal(await c.exists(page), true, "the session survives a reload");
      assert.equal((await c.call(page, "GET", "/api/me/strict")).status, 200);
    },
  },
  {
    name: () => "access-token expiry (ACCESS_TOKEN_TTL=2s): calls keep succeeding through automatic refresh",
    async run({ w, c }) {
      const { page } = await signedIn(w, c, "tab");
      const before = w.refreshes;
      for (let round = 1; round <= 2; round++) {
        await waitForExpiry(c, page);
        const me = await c.call(page, "GET", "/api/me");
        assert.equal(me.status, 200, `round ${round}: GET /api/me with an expired access token`);
        await c.addNote(page, `note ${round}`);
      }
      const notes = await c.call(page, "GET", "/api/notes");
      assert.equal(notes.status, 200);
      assert.deepEqual(notes.body.notes, ["note 1", "note 2"]);
      assert.ok(w.refreshes - before >= 2, `each expired token was refreshed (saw ${w.refreshes - before} refreshes)`);
      assert.equal(await c.exists(page), true);
      await w.shot(page, "after-refreshes");
    },
  },
  {
    name: () => "two tabs refreshing at the same moment: neither is logged out",
    async run({ w, c }) {
      const ctx = await w.context();
      const t1 = await w.page(ctx, "tab1");
      await c.open(t1, w.origin);
      await c.signIn(t1, ALICE);
      const t2 = await w.page(ctx, "tab2");
      await c.open(t2, w.origin);
      assert.equal(await c.exists(t2), true, "the second tab shares the session");
      const handle = (await c.call(t1, "GET", "/api/me")).body.sessionHandle;

      // Both tabs find the access token expired at once and refresh through their client.
      await waitForExpiry(c, t1);
      const both = await Promise.all([c.call(t1, "GET", "/api/me/strict"), c.call(t2, "GET", "/api/me/strict")]);
      assert.deepEqual(both.map(r => r.status), [200, 200], "both tabs' calls succeed after the refresh");
      // Explicit refreshes at the same moment.
      assert.deepEqual(await Promise.all([c.refresh(t1), c.refresh(t2)]), [true, true]);
      // And two raw refreshes with the very same token, bypassing every client-side lock: the
      // server must answer both (R2).
      const stolen = await stealRefreshToken(c, ctx);
      const r1 = await blankPage(w, ctx, "raw1"), r2 = await blankPage(w, ctx, "raw2");
      const raw = await Promise.all([rawRefresh(r1, stolen), rawRefresh(r2, stolen)]);
      assert.deepEqual(raw.map(r => r.status), [200, 200], "concurrent refreshes with one token both succeed");
      if (c.mode === "header") assert.equal(raw[0].refreshToken, raw[1].refreshToken, "…and return the same child token");

      for (const t of [t1, t2]) {
        const me = await c.call(t, "GET", "/api/me/strict");
        assert.equal(me.status, 200, `${t.label} is still signed in`);
        assert.equal(me.body.sessionHandle, handle);
        assert.equal(await c.exists(t), true);
      }
      await w.shot(t2, "tab2-signed-in");
    },
  },
  {
    name: () => "sign-out: doesSessionExist() becomes false",
    async run({ w, c }) {
      const { ctx, page } = await signedIn(w, c, "tab");
      await c.signOut(page);
      assert.equal(await c.exists(page), false, "doesSessionExist() after sign-out");
      await c.expectSignedOutUI(page);
      await w.shot(page, "signed-out");
      assert.equal((await c.call(page, "GET", "/api/me/strict")).status, 401);
      const names = (await ctx.cookies()).map(k => k.name);
      for (const n of [ACCESS_COOKIE, REFRESH_COOKIE, "st-access-token", "st-refresh-token"]) {
        assert.ok(!names.includes(n), `${n} is gone after sign-out`);
      }
    },
  },
  {
    name: () => "revocation from a second browser context logs the first out on its next strict call",
    async run({ w, c }) {
      const A = await signedIn(w, c, "device-A", BOB);
      const hA = (await c.call(A.page, "GET", "/api/me")).body.sessionHandle;
      const B = await signedIn(w, c, "device-B", BOB);
      if (c.name === "demo-page") {
        await c.addNote(B.page, "Buy oat milk");
        await c.addNote(B.page, "Rotate the refresh tokens");
        await B.page.click("#whoami-btn");
        await B.page.waitForFunction(() => document.getElementById("whoami-out").textContent.includes("200"));
        await B.page.click("#sessions-reload");
        await B.page.waitForSelector(`#sessions-body tr[data-handle="${hA}"]`);
        await w.shot(B.page, "devices"); // docs/img/demo.png comes from here
        await B.page.click(`#sessions-body tr[data-handle="${hA}"] button.revoke`);
        await B.page.waitForSelector(`#sessions-body tr[data-handle="${hA}"]`, { state: "detached" });
      } else {
        const list = await c.call(B.page, "GET", "/auth/sessions");
        assert.equal(list.status, 200);
        assert.ok(list.body.sessions.some(s => s.sessionHandle === hA && !s.current), "B lists A's session");
        assert.equal((await c.call(B.page, "DELETE", "/auth/sessions/" + hA)).status, 200);
      }
      const strict = await c.call(A.page, "GET", "/api/me/strict");
      assert.equal(strict.status, 401, "A's next strict call is refused");
      assert.equal(await c.exists(A.page), false, "A is logged out");
      await c.expectSignedOutUI(A.page);
      await w.shot(A.page, "A-logged-out");
      assert.equal((await c.call(B.page, "GET", "/api/me/strict")).status, 200, "B is unaffected");
    },
  },
  {
    name: () => "theft: an old refresh token replayed in a fresh context after rotation logs both out",
    async run({ w, c }) {
      const victim = await signedIn(w, c, "victim");
      const stolen = await stealRefreshToken(c, victim.ctx);
      // The real client rotates twice, and the stolen token's grace window (which starts when
      // it was superseded) runs out: only then is presenting it theft (R8).
      assert.equal(await c.refresh(victim.page), true);
      assert.equal(await c.refresh(victim.page), true);
      await sleep(ROTATION_GRACE_MS + 500);
      assert.equal((await c.call(victim.page, "GET", "/api/me/strict")).status, 200);

      const attackerCtx = await w.context();
      if (stolen.cookie) await attackerCtx.addCookies([stolen.cookie]);
      const attacker = await blankPage(w, attackerCtx, "attacker");
      const replay = await rawRefresh(attacker, stolen);
      assert.equal(replay.status, 401, "the replayed token is refused");
      assert.deepEqual(replay.body, { message: "token theft detected" });

      const strict = await c.call(victim.page, "GET", "/api/me/strict");
      assert.equal(strict.status, 401, "the victim's session was revoked");
      assert.equal(await c.exists(victim.page), false, "the victim is logged out");
      await c.expectSignedOutUI(victim.page);
      await w.shot(victim.page, "victim-logged-out");
      const again = await rawRefresh(attacker, stolen);
      assert.equal(again.status, 401, "the attacker stays logged out");
    },
  },
  {
    name: () => "sign out all other devices (demo page button)",
    only: "demo-page",
    async run({ w, c }) {
      const A = await signedIn(w, c, "device-A", BOB);
      const B = await signedIn(w, c, "device-B", BOB);
      await B.page.click("#sessions-reload");
      await B.page.waitForFunction(() => document.querySelectorAll("#sessions-body tr[data-current=false]").length >= 1);
      await B.page.click("#revoke-others");
      await B.page.waitForFunction(() => document.querySelectorAll("#sessions-body tr[data-current=false]").length === 0 &&
        document.querySelectorAll("#sessions-body tr[data-current=true]").length === 1);
      await w.shot(B.page, "only-this-device");
      assert.equal((await c.call(A.page, "GET", "/api/me/strict")).status, 401);
      await c.expectSignedOutUI(A.page);
      assert.equal((await c.call(B.page, "GET", "/api/me/strict")).status, 200);
    },
  },
];

module.exports = { SCENARIOS, ROTATION_GRACE_MS, ALICE, BOB, signedIn, stealRefreshToken, rawRefresh, blankPage };
