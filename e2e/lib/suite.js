// Runs every scenario with every client against one example app.
"use strict";
const assert = require("node:assert/strict");
const { describe, it, before, after } = require("node:test");
const { start } = require("./app");
const { launch } = require("./browser");
const { CLIENTS } = require("./clients");
const { SCENARIOS } = require("./scenarios");
const { ADMIN_SCENARIOS } = require("./admin");
const { World } = require("./world");

const slug = s => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40);

// A short rotation grace window, so the theft scenario can wait it out (docs/ROTATION.md,
// R8: a token superseded less than a grace window ago is honoured, not theft).
const { ROTATION_GRACE_MS } = require("./scenarios");

function run(framework) {
  describe(framework + " example", () => {
    let app, browser;
    before(async () => {
      app = await start(framework, { ACCESS_TOKEN_TTL: "2s", ROTATION_GRACE: ROTATION_GRACE_MS + "ms" });
      browser = await launch();
    });
    after(async () => {
      if (browser) await browser.close();
      if (app) {
        const code = await app.stop();
        assert.equal(code, 0, "the app exits cleanly on SIGTERM:\n" + app.output());
        assert.match(app.output(), /stopped cleanly/);
      }
    });
    for (const c of CLIENTS) {
      describe(c.name, () => {
        SCENARIOS.forEach((sc, i) => {
          if (sc.only && sc.only !== c.name) return;
          const name = sc.name(c);
          it(name, async () => {
            const w = new World(browser, app.origin, `${framework}-${c.name}-${i + 1}-${slug(name)}`);
            try {
              await sc.run({ w, c });
            } catch (err) {
              throw await w.fail(err);
            } finally {
              await w.close();
            }
          });
        });
      });
    }
    // The admin console (docs/ADMIN.md), after the client scenarios: its last scenario logs
    // everyone out.
    describe("admin console", () => {
      ADMIN_SCENARIOS.forEach((sc, i) => {
        it(sc.name, async () => {
          const w = new World(browser, app.origin, `${framework}-admin-${i + 1}-${slug(sc.name)}`);
          try {
            await sc.run({ w, framework });
          } catch (err) {
            throw await w.fail(err);
          } finally {
            await w.close();
          }
        });
      });
    });
  });
}

module.exports = { run };
