// The two clients every scenario runs with, behind one interface:
//  - demo: the example's own page (GET /) and its small protocol client, window.ratchet,
//    driven through the page's UI where a person would click;
//  - sdk: the unmodified supertokens-website SDK on the harness's test page, in cookie or
//    header mode, driven through the fetch it wraps.
"use strict";
const assert = require("node:assert/strict");
const { SDK_PAGE } = require("./sdk");

const PASSWORD = "demo-password";

// Reads a front-token (base64 of UTF-8 JSON) the way the SDK does.
const decodeFrontToken = ft => JSON.parse(Buffer.from(decodeURIComponent(ft), "base64").toString("utf8"));

const demo = {
  name: "demo-page",
  mode: "cookie",
  async open(page, origin) {
    await page.goto(origin + "/");
    await page.waitForFunction(() => window.ratchet && document.getElementById("status").dataset.state !== "unknown");
  },
  async signIn(page, email) {
    await page.fill("#email", email);
    await page.fill("#password", PASSWORD);
    await page.click("#signin-btn");
    await page.waitForSelector('#status[data-state="signed-in"]');
    await page.waitForSelector("#sessions-body tr[data-current=true]"); // the page loaded the devices list
  },
  async wrongPassword(page, email) {
    await page.fill("#email", email);
    await page.fill("#password", "not-the-password");
    await page.click("#signin-btn");
    await page.waitForFunction(() => document.getElementById("signin-error").textContent !== "");
    return page.textContent("#signin-error");
  },
  call: (page, method, path, body) => page.evaluate(async ([method, path, body]) => {
    const res = await window.ratchet.call(method, path, body === null ? undefined : body);
    let json = null; try { json = await res.json(); } catch {}
    return { status: res.status, body: json };
  }, [method, path, body === undefined ? null : body]),
  async addNote(page, text) {
    await page.fill("#note-text", text);
    await page.click("#note-add");
    await page.waitForFunction(t => [...document.querySelectorAll("#notes li")].some(li => li.textContent === t), text);
  },
  exists: page => page.evaluate(() => window.ratchet.doesSessionExist()),
  refresh: page => page.evaluate(() => window.ratchet.refresh()),
  async signOut(page) {
    await page.click("#signout");
    await page.waitForSelector('#status[data-state="signed-out"]');
  },
  accessExpiry: page => page.evaluate(() => window.ratchet.frontToken().ate),
  // The page shows the signed-out state (sign-in form) once the session is gone.
  async expectSignedOutUI(page) {
    await page.waitForSelector('#status[data-state="signed-out"]');
    await page.waitForSelector("#signin-card:not([hidden])");
  },
};

function sdk(mode) {
  return {
    name: "supertokens-website-" + mode,
    mode,
    sdk: true,
    async open(page, origin) {
      await page.goto(origin + SDK_PAGE + "?mode=" + mode);
      await page.waitForFunction(() => window.sdkReady === true);
    },
    async signIn(page, email) {
      // Sign-in is not part of the session SDK: the app posts its form through the wrapped
      // fetch, which adds st-auth-mode and rid and stores the tokens it gets back.
      const res = await this.call(page, "POST", "/auth/signin", { email, password: PASSWORD });
      assert.equal(res.status, 200);
      assert.equal(res.body.status, "OK");
      assert.equal(await this.exists(page), true, "doesSessionExist() after sign-in");
    },
    async wrongPassword(page, email) {
      const res = await this.call(page, "POST", "/auth/signin", { email, password: "not-the-password" });
      assert.equal(res.status, 200);
      return res.body.status;
    },
    call: (page, method, path, body) => page.evaluate(async ([method, path, body]) => {
      const init = { method };
      if (body !== null) { init.body = JSON.stringify(body); init.headers = { "content-type": "application/json" }; }
      const res = await fetch(path, init);
      let json = null; try { json = await res.json(); } catch {}
      return { status: res.status, body: json };
    }, [method, path, body === undefined ? null : body]),
    async addNote(page, text) {
      const res = await this.call(page, "POST", "/api/notes", { text });
      assert.equal(res.status, 200, "POST /api/notes");
      assert.ok(res.body.notes.includes(text));
    },
    exists: page => page.evaluate(() => supertokens.doesSessionExist()),
    refresh: page => page.evaluate(() => supertokens.attemptRefreshingSession()),
    async signOut(page) { await page.evaluate(() => supertokens.signOut()); },
    async accessExpiry(page) {
      const c = (await page.context().cookies()).find(c => c.name === "sFrontToken");
      assert.ok(c, "the SDK keeps the front-token in its sFrontToken cookie");
      return decodeFrontToken(c.value).ate;
    },
    async expectSignedOutUI() {},
  };
}

const CLIENTS = [demo, sdk("cookie"), sdk("header")];

module.exports = { CLIENTS, decodeFrontToken, PASSWORD };
