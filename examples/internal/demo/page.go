package demo

import _ "embed"

// Page is the demo page served at GET /: sign-in, notes, the session list and sign-out, with
// a small client for the session protocol (refresh on 401, cross-tab lock). It loads nothing
// from the network.
//
//go:embed index.html
var Page []byte

// ContentTypeHTML is the Content-Type of Page.
const ContentTypeHTML = "text/html; charset=utf-8"
