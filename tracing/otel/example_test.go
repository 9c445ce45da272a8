package otelratchet_test

import (
	"context"
	"fmt"
	"log"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
	otelratchet "github.com/ratchetauth/ratchet/tracing/otel"
)

// A refresh is a ratchet.refresh span holding the store calls, each ending before it.
func Example() {
	rec := tracetest.NewSpanRecorder() // in an app: an exporter's span processor
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	engine, err := core.New(core.Config{
		Store:                  memory.New(),
		AllowedOrigins:         []string{"http://localhost:3000"},
		Authenticate:           authenticate,
		Observer:               otelratchet.New(otelratchet.Options{TracerProvider: tp}),
		RevocationPollInterval: -1,                              // no poller, and
		Audit:                  core.AuditConfig{Disable: true}, // no audit writer: their spans would interleave
	})
	if err != nil {
		log.Fatal(err)
	}
	defer engine.Close()
	ctx := context.Background()
	tok, err := engine.IssueTokens(ctx, "user-ada", core.CreateOptions{})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := engine.RefreshTokens(ctx, tok.RefreshToken, core.RefreshMeta{}); err != nil {
		log.Fatal(err)
	}
	for _, s := range rec.Ended() {
		fmt.Println(s.Name())
	}
	// Output:
	// ratchet.store.create
	// ratchet.issue_tokens
	// ratchet.store.rotate
	// ratchet.refresh
}
