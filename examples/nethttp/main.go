// Command nethttp is the ratchet demo on net/http: go run ./examples/nethttp.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/examples/internal/demo"
	"github.com/ratchetauth/ratchet/stores/memory"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() error {
	settings, err := demo.FromEnv()
	if err != nil {
		return err
	}
	engine, err := core.New(settings.EngineConfig(memory.New()))
	if err != nil {
		return err
	}
	a := httpratchet.New(engine)

	mux := http.NewServeMux()
	mux.Handle("/auth/", a.Handler())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(demo.Page)
	})
	mux.Handle("GET /api/me", a.Require(http.HandlerFunc(me)))
	mux.Handle("GET /api/me/strict", a.Strict(http.HandlerFunc(me)))
	mux.Handle("GET /api/notes", a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := demo.Notes(r.Context(), httpratchet.MustSession(r.Context()))
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		writeJSON(w, 200, body)
	})))
	mux.Handle("POST /api/notes", a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			writeJSON(w, 413, []byte(`{"message":"body too large"}`))
			return
		}
		status, body, err := demo.AddNote(r.Context(), httpratchet.MustSession(r.Context()), in)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		writeJSON(w, status, body)
	})))

	srv := &http.Server{Addr: settings.Addr, Handler: a.CORS(mux), ReadHeaderTimeout: 10 * time.Second}
	fmt.Print(settings.Banner("net/http", "in-memory (sessions are lost on restart)"))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Print("shut down cleanly")
	return nil
}

func me(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, demo.Me(httpratchet.MustSession(r.Context())))
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
