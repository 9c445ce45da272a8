// A World is one scenario's browser state: its contexts and pages, their console output, the
// refresh requests they made, and screenshots. On failure it screenshots every open page and
// puts the paths and the console into the error.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const sdk = require("./sdk");

const SHOTS = path.join(__dirname, "..", "screenshots");

class World {
  constructor(browser, origin, prefix) {
    this.browser = browser;
    this.origin = origin;
    this.prefix = prefix;
    this.contexts = [];
    this.pages = [];
    this.console = [];
    this.refreshes = 0;
    fs.mkdirSync(SHOTS, { recursive: true });
  }

  async context() {
    const ctx = await this.browser.newContext({ viewport: { width: 1100, height: 860 } });
    await sdk.route(ctx, this.origin);
    this.contexts.push(ctx);
    return ctx;
  }

  async page(ctx, label) {
    const page = await ctx.newPage();
    page.label = label;
    page.on("console", m => this.console.push(`[${label}] ${m.type()}: ${m.text()}`));
    page.on("pageerror", e => this.console.push(`[${label}] pageerror: ${e.message}`));
    page.on("request", r => { if (new URL(r.url()).pathname === "/auth/session/refresh") this.refreshes++; });
    this.pages.push(page);
    return page;
  }

  async shot(page, step) {
    const file = path.join(SHOTS, `${this.prefix}-${step}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  }

  async fail(err) {
    const files = [];
    for (const p of this.pages) {
      if (p.isClosed()) continue;
      try { files.push(await this.shot(p, "FAILED-" + p.label)); } catch { /* page crashed */ }
    }
    const detail = "\n  screenshots:\n" + files.map(f => "    " + f).join("\n") +
      "\n  browser console:\n" + (this.console.length ? this.console.map(l => "    " + l).join("\n") : "    (empty)");
    console.error(`--- ${this.prefix} failed` + detail);
    err.message += detail;
    return err;
  }

  async close() {
    for (const c of this.contexts) await c.close().catch(() => {});
  }
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

module.exports = { World, sleep, SHOTS };
