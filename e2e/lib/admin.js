// The admin console (docs/ADMIN.md) in a real browser: the dashboard page the core serves at
// /auth/admin/, driven through its UI by the demo admin, with the users on the demo page in
// contexts of their own. The scenarios run in order against one app, after the client
// scenarios; the last one logs everyone out.
"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { CLIENTS, PASSWORD } = require("./clients");
const { ALICE, BOB, ROTATION_GRACE_MS, signedIn, stealRefreshToken, rawRefresh, blankPage } = require("./scenarios");
const { sleep } = require("./world");
const { repo } = require("./app");

const demo = CLIENTS.find(c => c.name === "demo-page");
const ADMIN = "admin@example.com";
const ADMIN_PATH = "/auth/admin/";
const API = "/auth/admin/api/";
// docs/img/admin-dashboard.png in the README is written by the gin run with E2E_SCREENSHOT=1.
const README_SHOT = path.join(repo, "docs", "img", "admin-dashboard.png");

// until polls check() until it returns something truthy, failing after ms with what.
async function until(check, what, ms = 8000, every = 150) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting until ${what}`);
    await sleep(every);
  }
}

// answers calls path through the demo page's client until it answers want, and returns that
// answer; on the deadline it fails with the last one. The examples' access tokens live 2 s:
// on a loaded machine the client's single retry after a refresh can arrive with a token that
// has already expired, which is a 401 that says nothing about what is tested here.
async function answers(page, method, path, body, want, what) {
  let last;
  try {
    await until(async () => { last = await demo.call(page, method, path, body); return last.status === want; }, what, 8000, 200);
  } catch {
    assert.equal(last.status, want, `${what}: ${method} ${path} answered ${JSON.stringify(last.body)}`);
  }
  return last;
}
const me = async (page, what) => (await answers(page, "GET", "/api/me", undefined, 200, what)).body;

// openConsole opens the dashboard in a new context and signs in there through its form.
async function openConsole(w, { label = "admin", email = ADMIN } = {}) {
  const ctx = await w.context();
  const page = await w.page(ctx, label);
  page.on("dialog", d => d.accept()); // the console asks confirm() before revoking a user or a key
  const res = await page.goto(w.origin + ADMIN_PATH);
  await page.waitForSelector('body[data-view="signin"]');
  await page.fill("#signin-email", email);
  await page.fill("#signin-password", PASSWORD);
  await page.click("#signin-btn");
  await page.waitForSelector('body[data-view="console"]');
  await page.waitForSelector("#keys-body tr[data-kid]"); // the first loads are done
  return { ctx, page, res };
}

async function search(page, q) {
  await page.fill("#user-q", q);
  await page.click("#user-search-btn");
}

const deviceRow = h => `#devices-body tr[data-handle="${h}"]`;

// The browser reports every CSP violation on the console; the page must cause none.
function assertNoCSPViolation(w) {
  const v = w.console.filter(l => /Content Security Policy/i.test(l));
  assert.deepEqual(v, [], "the dashboard runs under its CSP without a violation");
}

// A refusal by the CSRF / origin gate (docs/ADMIN.md, "Who gets in", step 1): 403, and not
// a refusal for a missing or expired token.
function assertCSRFRefused(r, what) {
  assert.equal(r.status, 403, `${what} is refused (got ${r.status} ${JSON.stringify(r.body)})`);
  assert.deepEqual(r.body, { message: "anti-csrf check failed" }, `${what} is refused by the CSRF/origin check`);
}

// fresh gives the page's context a new access token (the examples' tokens live 2 s), so that
// what follows is judged on its headers, not on an expired token.
const fresh = page => page.evaluate(async () => {
  const res = await fetch("../session/refresh", { method: "POST", headers: { rid: "session" }, credentials: "same-origin" });
  return res.status;
});

async function requestJSON(resp) {
  let body = null; try { body = await resp.json(); } catch {}
  return { status: resp.status(), body };
}

const ADMIN_SCENARIOS = [
  {
    name: "an admin revokes a user's devices: her next strict request fails at once, the plain /api/me within the revocation bound, and she is signed out",
    async run({ w }) {
      const A = await signedIn(w, demo, "alice-A", ALICE);
      const B = await signedIn(w, demo, "alice-B", ALICE);
      const hA = (await me(A.page, "alice (device A) is signed in")).sessionHandle;
      const hB = (await me(B.page, "alice (device B) is signed in")).sessionHandle;

      const admin = await openConsole(w);
      const h = admin.res.headers();
      assert.match(h["content-security-policy"] || "", /default-src 'none'/, "the dashboard is served with its CSP");
      assert.match(h["content-security-policy"], /script-src 'self'/);
      assert.equal(h["x-frame-options"], "DENY");
      assert.equal(h["referrer-policy"], "no-referrer");
      assert.match(await admin.page.textContent("#whoami"), /user-admin/);

      await search(admin.page, ALICE);
      await admin.page.waitForSelector(`#user-results button[data-user-id="user-alice"]`);
      await admin.page.waitForSelector(deviceRow(hA));
      await admin.page.waitForSelector(deviceRow(hB));
      const row = await admin.page.textContent(deviceRow(hA));
      assert.match(row, /Chrom/, "the device column names the browser");
      assert.match(row, /127\.0\.0\.1/, "the IP column");
      assert.match(row, /active|idle/, "the status column");
      await w.shot(admin.page, "alice-devices");

      // Device A: revoked, and refused at once on a strict route.
      await admin.page.click(`${deviceRow(hA)} button.revoke`);
      await admin.page.waitForSelector(deviceRow(hA), { state: "detached" });
      await admin.page.waitForSelector('#flash[data-kind="ok"]');
      const strict = await demo.call(A.page, "GET", "/api/me/strict");
      assert.equal(strict.status, 401, "alice's strict call after the revocation is refused");
      assert.equal(await demo.exists(A.page), false, "alice (device A) is signed out");
      await demo.expectSignedOutUI(A.page);
      await w.shot(A.page, "alice-A-signed-out");

      // Device B: revoked; the plain route (signature only, no store read) refuses it within
      // RevocationPollInterval (default 2 s), so poll with a deadline of a few seconds.
      await admin.page.click(`${deviceRow(hB)} button.revoke`);
      await admin.page.waitForSelector(deviceRow(hB), { state: "detached" });
      await until(async () => (await demo.call(B.page, "GET", "/api/me")).status === 401,
        "alice's plain GET /api/me is refused after the revocation", 6000, 250);
      assert.equal(await demo.exists(B.page), false, "alice (device B) is signed out");
      await demo.expectSignedOutUI(B.page);

      // The console: the feed shows what the admin did.
      await admin.page.waitForSelector(`#events-body tr[data-type="admin_action"][data-user-id="user-alice"][data-handle="${hA}"]`, { timeout: 10000 });
      await admin.page.waitForSelector(`#events-body tr[data-type="session_revoked"][data-user-id="user-alice"][data-handle="${hB}"]`, { timeout: 10000 });
      const by = await admin.page.textContent(`#events-body tr[data-type="admin_action"][data-handle="${hA}"] td.details`);
      assert.match(by, /by user-admin/, "the admin action names the admin as its actor");
      await w.shot(admin.page, "after-revoke");
      assertNoCSPViolation(w);
    },
  },
  {
    name: "a non-admin sees only \"Not an administrator\"; the API refuses bob (403), no session (401), a POST without rid and a cross-site Origin",
    async run({ w }) {
      const alice = await signedIn(w, demo, "alice", ALICE);
      const bob = await signedIn(w, demo, "bob", BOB);

      // Bob opens the dashboard in his signed-in browser.
      const dash = await w.page(bob.ctx, "bob-dashboard");
      await dash.goto(w.origin + ADMIN_PATH);
      await dash.waitForSelector('body[data-view="forbidden"]');
      assert.equal((await dash.textContent("#forbidden h2")).trim(), "Not an administrator");
      const shown = await dash.evaluate(() => ({
        console: !document.getElementById("console").hidden,
        signin: !document.getElementById("auth").hidden,
        rows: document.querySelectorAll("#console tbody tr, #user-results li").length,
        text: document.body.innerText,
      }));
      assert.equal(shown.console, false, "no console for a non-admin");
      assert.equal(shown.signin, false);
      assert.equal(shown.rows, 0, "no data in the page");
      assert.doesNotMatch(shown.text, /user-(alice|bob|admin)|token_theft|EdDSA|Live sessions/, "nothing about the data is shown");
      await w.shot(dash, "not-an-administrator");

      // Bob's own requests (through the demo page's client: rid header, refresh on 401).
      for (const p of ["me", "sessions?userId=user-alice", "users?q=user-alice", "events", "keys", "stats"]) {
        const r = await answers(bob.page, "GET", API + p, undefined, 403, `bob: GET ${p}`);
        assert.deepEqual(r.body, { message: "forbidden" }, `bob: GET ${p} reveals nothing`);
      }
      const post = await answers(bob.page, "POST", API + "users/revoke", { userId: "user-alice" }, 403, "bob cannot revoke alice");
      assert.deepEqual(post.body, { message: "forbidden" });
      await answers(alice.page, "GET", "/api/me/strict", undefined, 200, "alice is untouched");

      // No session at all.
      const anonCtx = await w.context();
      const anon = await blankPage(w, anonCtx, "anonymous");
      const none = await anon.evaluate(async api => {
        const res = await fetch(api + "sessions?userId=user-alice", { headers: { rid: "anti-csrf" }, credentials: "same-origin" });
        return res.status;
      }, API);
      assert.equal(none, 401, "no session: 401");
      const anonDash = await w.page(anonCtx, "anonymous-dashboard");
      await anonDash.goto(w.origin + ADMIN_PATH);
      await anonDash.waitForSelector('body[data-view="signin"]');
      assert.equal(await anonDash.isVisible("#signin-form"), true, "no session: the dashboard shows its sign-in form");

      // The admin's own cookies, without the rid header: a forged POST changes nothing.
      const admin = await openConsole(w);
      const noRid = await admin.page.evaluate(async () => {
        await fetch("../session/refresh", { method: "POST", headers: { rid: "session" }, credentials: "same-origin" });
        const res = await fetch("api/users/revoke", {
          method: "POST", credentials: "same-origin",
          headers: { "content-type": "application/json" }, body: JSON.stringify({ userId: "user-bob" }),
        });
        let body = null; try { body = await res.json(); } catch {}
        return { status: res.status, body };
      });
      assertCSRFRefused(noRid, "a POST without the rid header");

      // A cross-site Origin, with the admin's cookies (the context's request API sends them;
      // a page cannot set Origin itself). A same-origin control shows the cookies are good.
      const url = w.origin + API + "sessions?userId=user-bob";
      await until(async () => {
        await fresh(admin.page);
        return (await admin.ctx.request.get(url, { headers: { rid: "anti-csrf", origin: w.origin } })).status() === 200;
      }, "a same-origin GET with the admin's cookies succeeds", 8000, 100);
      const evilGet = await requestJSON(await admin.ctx.request.get(url, { headers: { rid: "anti-csrf", origin: "https://evil.example" } }));
      assertCSRFRefused(evilGet, "a GET from a cross-site Origin");
      await fresh(admin.page);
      const evilPost = await requestJSON(await admin.ctx.request.post(w.origin + API + "users/revoke", {
        headers: { rid: "anti-csrf", origin: "https://evil.example", "content-type": "application/json" },
        data: JSON.stringify({ userId: "user-bob" }),
      }));
      assertCSRFRefused(evilPost, "a POST from a cross-site Origin");
      const evilSite = await requestJSON(await admin.ctx.request.post(w.origin + API + "users/revoke", {
        headers: { rid: "anti-csrf", "sec-fetch-site": "cross-site", "content-type": "application/json" },
        data: JSON.stringify({ userId: "user-bob" }),
      }));
      assertCSRFRefused(evilSite, "a POST with Sec-Fetch-Site: cross-site and no Origin");

      await answers(bob.page, "GET", "/api/me/strict", undefined, 200, "bob is still signed in: no forged request went through");
      await admin.page.waitForSelector('#events-body tr[data-type="admin_denied"][data-user-id="user-bob"]', { timeout: 10000 });
      assert.equal(await admin.page.isVisible(`#events-body tr[data-type="admin_action"][data-user-id="user-bob"]`), false,
        "no admin action was recorded against bob");
      assertNoCSPViolation(w);
    },
  },
  {
    name: "a destructive action refused for an old sign-in (auth_time) asks the admin to sign in again, then goes through",
    async run({ w }) {
      const alice = await signedIn(w, demo, "alice", ALICE);
      const h = (await me(alice.page, "alice is signed in")).sessionHandle;
      const admin = await openConsole(w);
      await search(admin.page, ALICE);
      await admin.page.waitForSelector(deviceRow(h));
      // The examples' RecentAuth is 15 minutes: the server's answer for an older sign-in
      // (docs/ADMIN.md) is played once here; the retry after the new sign-in is real.
      let refused = 0;
      await admin.page.route("**/auth/admin/api/sessions/revoke", route => {
        if (refused++ > 0) return route.continue();
        return route.fulfill({
          status: 403, contentType: "application/json; charset=utf-8",
          body: JSON.stringify({ message: "invalid claim", claimValidationErrors: [{ id: "auth_time", reason: "sign-in too old", maxAgeInSeconds: 900, ageInSeconds: 1000 }] }),
        });
      });
      await admin.page.click(`${deviceRow(h)} button.revoke`);
      await admin.page.waitForSelector('#auth.overlay:not([hidden])[data-mode="reauth"]');
      assert.match(await admin.page.textContent("#auth-title"), /sign in again to confirm/i);
      assert.ok(await admin.page.isVisible(deviceRow(h)), "nothing was revoked yet");
      await w.shot(admin.page, "sign-in-again");
      await admin.page.fill("#signin-email", ADMIN);
      await admin.page.fill("#signin-password", PASSWORD);
      await admin.page.click("#signin-btn");
      await admin.page.waitForSelector("#auth", { state: "hidden" });
      await admin.page.waitForSelector(deviceRow(h), { state: "detached" });
      assert.equal(refused, 2, "the action was retried once after the new sign-in");
      assert.equal((await demo.call(alice.page, "GET", "/api/me/strict")).status, 401, "alice's session was revoked");
      assert.equal(await demo.exists(alice.page), false, "alice is signed out");
      assert.equal(await admin.page.getAttribute("body", "data-view"), "console", "the admin is still in the console");
      assertNoCSPViolation(w);
    },
  },
  {
    name: "a refresh-token theft appears in the live feed, highlighted",
    async run({ w, framework }) {
      const admin = await openConsole(w);
      const victim = await signedIn(w, demo, "victim", ALICE);
      const handle = (await me(victim.page, "the victim is signed in")).sessionHandle;
      // The theft scenario's technique: capture the refresh token, let it rotate twice, wait
      // out its grace window, replay it from a fresh context.
      const stolen = await stealRefreshToken(demo, victim.ctx);
      assert.equal(await demo.refresh(victim.page), true);
      assert.equal(await demo.refresh(victim.page), true);
      await sleep(ROTATION_GRACE_MS + 500);
      const attackerCtx = await w.context();
      await attackerCtx.addCookies([stolen.cookie]);
      const attacker = await blankPage(w, attackerCtx, "attacker");
      const replay = await rawRefresh(attacker, stolen);
      assert.equal(replay.status, 401);
      assert.deepEqual(replay.body, { message: "token theft detected" });

      // The feed (polled every 3 s) shows it without a reload.
      const theft = `#events-body tr.event.theft[data-type="token_theft"][data-user-id="user-alice"][data-handle="${handle}"]`;
      await admin.page.waitForSelector(theft, { timeout: 15000 });
      assert.equal((await admin.page.textContent(`${theft} .theft-label`)).trim(), "Theft", "the row carries a label");
      const styled = await admin.page.$eval(`${theft} td`, td => getComputedStyle(td).backgroundColor);
      const plain = await admin.page.$eval('#events-body tr.event:not(.theft) td', td => getComputedStyle(td).backgroundColor);
      assert.notEqual(styled, plain, "a theft row is highlighted");

      // The type filter.
      await admin.page.selectOption("#event-type", "token_theft");
      await until(() => admin.page.evaluate(() => {
        const rows = [...document.querySelectorAll("#events-body tr.event")];
        return rows.length > 0 && rows.every(r => r.dataset.type === "token_theft" && r.classList.contains("theft"));
      }), "the feed lists token_theft events only", 10000);
      await admin.page.selectOption("#event-type", "-refresh"); // the default: all but refreshes
      await admin.page.waitForSelector('#events-body tr.event:not(.theft)', { timeout: 10000 });

      // The counts.
      await admin.page.click("#stats-reload");
      await until(async () => Number(await admin.page.textContent("#stat-thefts")) >= 1, "the counts show the theft", 8000);

      // The dashboard for the README: bob's devices, the feed with the theft.
      const bob1 = await signedIn(w, demo, "bob-laptop", BOB);
      await signedIn(w, demo, "bob-phone", BOB);
      const hBob = (await me(bob1.page, "bob is signed in")).sessionHandle;
      await search(admin.page, BOB);
      await admin.page.waitForSelector(deviceRow(hBob));
      await admin.page.click("#stats-reload");
      await admin.page.waitForSelector(theft);
      await admin.page.mouse.move(0, 0);
      const file = await w.shot(admin.page, "dashboard");
      if (framework === "gin" && process.env.E2E_SCREENSHOT === "1") {
        fs.mkdirSync(path.dirname(README_SHOT), { recursive: true });
        fs.copyFileSync(file, README_SHOT);
      }
      assertNoCSPViolation(w);
    },
  },
  {
    name: "key ring: rotate, then revoke the old key; a signed-in user stays signed in",
    async run({ w }) {
      const alice = await signedIn(w, demo, "alice", ALICE);
      const admin = await openConsole(w);
      const kids = () => admin.page.$$eval("#keys-body tr[data-kid]", rows => rows.map(r => ({ kid: r.dataset.kid, revoked: r.dataset.revoked === "true", signing: r.dataset.signing === "true" })));
      const before = await kids();
      const old = before.find(k => k.signing);
      assert.ok(old, "a key signs");
      await admin.page.click("#keys-rotate");
      await admin.page.waitForSelector('#flash[data-kind="ok"]');
      assert.match(await admin.page.textContent("#flash"), /New signing key/);
      await until(async () => (await kids()).length === before.length + 1, "the new key is listed");
      const added = (await kids()).find(k => !before.some(b => b.kid === k.kid));
      await admin.page.click(`#keys-body tr[data-kid="${old.kid}"] button.revoke-key`);
      await admin.page.waitForSelector(`#keys-body tr[data-kid="${old.kid}"][data-revoked="true"]`);
      const after = await kids();
      assert.ok(after.some(k => k.signing && !k.revoked), "a live key signs after the revocation");
      assert.ok(after.find(k => k.kid === added.kid && !k.revoked), "the new key is live");
      await admin.page.waitForSelector(`#events-body tr[data-type="key_revoked"]`, { timeout: 10000 });
      await w.shot(admin.page, "keys");
      // Alice's access token may be signed by the revoked key: she refreshes once and goes on.
      await answers(alice.page, "GET", "/api/me/strict", undefined, 200, "alice is still signed in (strict)");
      await me(alice.page, "alice is still signed in");
      assert.equal(await demo.exists(alice.page), true);
      // The admin too.
      await admin.page.click("#stats-reload");
      await admin.page.click("#keys-reload");
      await admin.page.waitForSelector(`#keys-body tr[data-kid="${old.kid}"][data-revoked="true"]`);
      assert.equal(await admin.page.getAttribute("body", "data-view"), "console");
      assertNoCSPViolation(w);
    },
  },
  {
    name: "log everyone out: only after typing REVOKE ALL; every session ends, the admin's too",
    async run({ w }) {
      const alice = await signedIn(w, demo, "alice", ALICE);
      const admin = await openConsole(w);
      const btn = "#revoke-all";
      assert.equal(await admin.page.isDisabled(btn), true, "disabled until the phrase is typed");
      await admin.page.fill("#revoke-all-confirm", "revoke all");
      assert.equal(await admin.page.isDisabled(btn), true, "the phrase is case-sensitive");
      await admin.page.fill("#revoke-all-confirm", "REVOKE ALL");
      assert.equal(await admin.page.isDisabled(btn), false);
      await admin.page.click(btn);
      await admin.page.waitForSelector('body[data-view="signin"]');
      assert.match(await admin.page.textContent("#auth-reason"), /logged everyone out/);
      assert.equal(await admin.page.evaluate(() => document.querySelectorAll("#console tbody tr").length), 0, "the console's data is gone");
      await w.shot(admin.page, "everyone-logged-out");
      assert.equal((await demo.call(alice.page, "GET", "/api/me/strict")).status, 401, "alice is logged out");
      await demo.expectSignedOutUI(alice.page);
      assertNoCSPViolation(w);
    },
  },
];

module.exports = { ADMIN_SCENARIOS, openConsole, ADMIN_PATH };
