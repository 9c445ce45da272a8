// Package demotest checks an example app against the example contract, in process and as a
// real process. Every example's main_test.go runs it:
//
//	func TestMain(m *testing.M) { demotest.Main(m, main) }
//	func TestExample(t *testing.T) { demotest.All(t, server) }
package demotest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/examples/internal/demo"
)

// envMain makes the test binary run the example's main instead of the tests (see Process).
const envMain = "RATCHET_EXAMPLE_RUN_MAIN"

// Main runs the example's main when the test binary is started by Process, and the tests
// otherwise.
func Main(m *testing.M, main func()) {
	if os.Getenv(envMain) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Start serves build's app on a free loopback port with a fresh SQLite file and returns its
// base URL. The server is shut down and the store closed when the test ends.
func Start(t *testing.T, build func(*demo.App) demo.Server, env map[string]string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"ADDR":         ln.Addr().String(),
		"DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), "demo.db"),
	}
	for k, v := range env {
		vars[k] = v
	}
	s, err := demo.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	app, err := demo.SetupWith(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	srv := build(app)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil && err != http.ErrServerClosed {
			t.Errorf("serve: %v", err)
		}
		if err := app.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return fmt.Sprintf("http://%s", ln.Addr())
}
