// The unmodified supertokens-website SDK from npm, bundled for the browser with esbuild (the
// package ships CommonJS only), and the small test page that loads it. Both are served by the
// harness at the API's own origin (Playwright route interception), so the page and the API
// share an origin exactly as the demo page does.
"use strict";
const esbuild = require("esbuild");
const path = require("node:path");

let bundle;
function sdkBundle() {
  if (!bundle) {
    const res = esbuild.buildSync({
      stdin: { contents: 'module.exports = require("supertokens-website");', resolveDir: path.join(__dirname, "..") },
      bundle: true, format: "iife", globalName: "supertokens", platform: "browser", target: "es2019",
      write: false, logLevel: "silent",
    });
    bundle = res.outputFiles[0].text;
  }
  return bundle;
}

const SDK_PAGE = "/__e2e/sdk.html";
const SDK_JS = "/__e2e/supertokens-website.js";
// An empty page at the API's origin, for raw requests without any client (the "attacker").
const BLANK = "/__e2e/blank.html";

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>supertokens-website test page</title>
<script src="${SDK_JS}"></script>
<script>
  const mode = new URLSearchParams(location.search).get("mode") || "cookie";
  supertokens.init({ apiDomain: location.origin, apiBasePath: "/auth", tokenTransferMethod: mode });
  window.sdkReady = true;
</script></head>
<body style="font:15px system-ui;margin:2rem">
<h1>supertokens-website ${require("supertokens-website/package.json").version}</h1>
<p>Test page served by the e2e harness; the SDK wraps <code>fetch</code>.</p>
</body></html>`;

// route installs the test page and the bundle on a browser context.
async function route(context, origin) {
  await context.route(origin + "/__e2e/**", r => {
    const p = new URL(r.request().url()).pathname;
    if (p === SDK_PAGE) return r.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: page });
    if (p === SDK_JS) return r.fulfill({ status: 200, contentType: "text/javascript; charset=utf-8", body: sdkBundle() });
    if (p === BLANK) return r.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: "<!doctype html><title>blank</title>" });
    return r.fulfill({ status: 404, body: "not found" });
  });
}

module.exports = { route, SDK_PAGE, BLANK, sdkBundle };
