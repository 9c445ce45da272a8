// Runs the browser tests with node's test runner, one test file (and one app) per example:
// gin, fiber and echov5 (Echo v5) by default, or the comma-separated E2E_FRAMEWORKS (gin,
// fiber, echov5, echo, nethttp). net/http and Echo v4 pass the same suite; they are left out
// of the default run to keep it short, as the adapters' HTTPSuite and the examples' Go
// contract tests cover them.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const frameworks = (process.env.E2E_FRAMEWORKS || "gin,fiber,echov5").split(",").map(s => s.trim()).filter(Boolean);
const files = frameworks.map(f => path.join("tests", f + ".test.js"));
for (const f of files) {
  if (!fs.existsSync(path.join(__dirname, f))) {
    console.error(`no e2e suite ${f}: E2E_FRAMEWORKS takes gin, fiber, echov5, echo and nethttp`);
    process.exit(2);
  }
}
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...files], { cwd: __dirname, stdio: "inherit" });
process.exit(r.status === null ? 1 : r.status);
