package core

import (
	"context"
	"embed"
	"path"
)

// adminUI holds the dashboard: one page, one script, one stylesheet (docs/ADMIN.md).
//
//go:embed adminui
var adminUI embed.FS

// adminUIPolicy is the dashboard's Content-Security-Policy: its own script and stylesheet,
// fetches to its own origin, nothing inline, never framed.
const adminUIPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

var adminUITypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// serveAdminFile serves one of the dashboard's files. They hold no data (the API does), so
// they are the same for everyone and need no session.
func serveAdminFile(name string) func(e *Engine, ctx context.Context, req Request, resp Response, _ string) {
	return func(e *Engine, ctx context.Context, req Request, resp Response, _ string) {
		b, err := adminUI.ReadFile("adminui/" + name)
		if err != nil {
			e.WriteNotFound(ctx, req, resp)
			return
		}
		resp.SetHeader("Content-Security-Policy", adminUIPolicy)
		resp.SetHeader("X-Frame-Options", "DENY")
		resp.SetHeader("X-Content-Type-Options", "nosniff")
		resp.SetHeader("Referrer-Policy", "no-referrer")
		resp.SetHeader("Cache-Control", "no-cache")
		resp.Write(200, adminUITypes[path.Ext(name)], b)
	}
}

// serveAdminRedirect sends {base}/admin to {base}/admin/, so the page's relative URLs resolve.
func (e *Engine) serveAdminRedirect(_ context.Context, _ Request, resp Response, _ string) {
	resp.SetHeader("Location", e.cfg.BasePath+"/admin/")
	resp.Write(308, "text/plain; charset=utf-8", nil)
}
