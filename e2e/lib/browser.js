// Debian's Chromium driven by playwright-core. Playwright's own browser download is never
// used (it cannot work here); launch() gives every run a fresh, empty profile.
"use strict";
const fs = require("node:fs");
const { chromium } = require("playwright-core");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

async function launch() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(CHROMIUM + " is missing: run `make e2e`, which installs Debian's chromium");
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

module.exports = { launch, CHROMIUM };
