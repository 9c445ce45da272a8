package promratchet_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	promratchet "github.com/ratchetauth/ratchet/metrics/prometheus"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// The observer goes in the Config, the engine comes out of core.New, and Watch joins them;
// /metrics is promhttp over the same registry.
func Example() {
	reg := prometheus.NewRegistry()
	m, err := promratchet.New(promratchet.Options{Registerer: reg})
	if err != nil {
		log.Fatal(err)
	}
	engine, err := core.New(core.Config{
		Store:          memory.New(),
		AllowedOrigins: []string{"http://localhost:3000"},
		Authenticate:   authenticate,
		Observer:       m,
		Logger:         quietLogger(),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer engine.Close()
	m.Watch(engine)

	mux := http.NewServeMux()
	mux.Handle("/auth/", httpratchet.New(engine).Handler())
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	ctx := context.Background()
	tok, err := engine.IssueTokens(ctx, "user-ada", core.CreateOptions{})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := engine.RefreshTokens(ctx, tok.RefreshToken, core.RefreshMeta{}); err != nil {
		log.Fatal(err)
	}

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "ratchet_refreshes_total ") ||
			strings.HasPrefix(l, `ratchet_operation_duration_seconds_count{op="refresh",outcome="ok"}`) ||
			strings.HasPrefix(l, `ratchet_store_duration_seconds_count{op="store.rotate"}`) {
			fmt.Println(l)
		}
	}
	// Output:
	// ratchet_operation_duration_seconds_count{op="refresh",outcome="ok"} 1
	// ratchet_refreshes_total 1
	// ratchet_store_duration_seconds_count{op="store.rotate"} 1
}
