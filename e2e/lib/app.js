// Builds and runs one example app (a real binary on a real port, on a fresh SQLite file).
"use strict";
const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");

const repo = path.resolve(__dirname, "..", "..");

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// build compiles ./examples/<framework> with the repository's go.work into dir. With -race:
// a data race under real browser traffic makes the app exit non-zero, which fails the suite
// (and `make test` has already built the race-enabled dependencies).
function build(framework, dir) {
  const bin = path.join(dir, "ratchet-" + framework);
  execFileSync("go", ["build", "-race", "-o", bin, "./examples/" + framework], { cwd: repo, stdio: ["ignore", "inherit", "inherit"] });
  return bin;
}

async function waitReady(url, child, output, deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error("app exited with " + child.exitCode + " before it was ready:\n" + output());
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error("app did not answer on " + url + ":\n" + output());
}

// start builds and starts the example, returning {url, origin, stop(), output()}. env is
// added to the example's environment.
async function start(framework, env = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ratchet-e2e-" + framework + "-"));
  const bin = build(framework, dir);
  const port = await freePort();
  const addr = "127.0.0.1:" + port;
  let out = "";
  const child = spawn(bin, [], {
    cwd: dir,
    env: Object.assign({}, process.env, {
      ADDR: addr,
      DATABASE_URL: "sqlite://" + path.join(dir, "e2e.db"),
      WEBSITE_ORIGIN: "",
      ROTATION_GRACE: "",
      CLOCK_SKEW: "",
    }, env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", d => { out += d; });
  child.stderr.on("data", d => { out += d; });
  const origin = "http://" + addr;
  await waitReady(origin + "/", child, () => out, 30000);
  return {
    origin,
    dir,
    output: () => out,
    // stop sends SIGTERM and resolves with the exit code; the contract wants a clean exit.
    stop: () => new Promise(resolve => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      const kill = setTimeout(() => child.kill("SIGKILL"), 10000);
      child.once("exit", code => { clearTimeout(kill); resolve(code); });
      child.kill("SIGTERM");
    }),
  };
}

module.exports = { start, repo };
