package fiberratchet_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	fiberratchet "github.com/ratchetauth/ratchet/adapters/fiber"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// Mount refuses, at start-up, an app whose header buffer cannot hold what the engine's tokens
// may add to a request: every later request of such a user would get 431.
func TestMountChecksReadBufferSize(t *testing.T) {
	mount := func(cfg fiber.Config, budget int) (msg string) {
		defer func() {
			if r := recover(); r != nil {
				msg = fmt.Sprint(r)
			}
		}()
		e, err := core.New(core.Config{Store: memory.New(), TokenHeaderBudget: budget})
		if err != nil {
			t.Fatal(err)
		}
		fiberratchet.New(e).Mount(fiber.New(cfg))
		return ""
	}
	if msg := mount(fiber.Config{}, 0); msg != "" {
		t.Fatalf("fiber.New() defaults with the default budget: Mount panicked: %s", msg)
	}
	if msg := mount(fiber.Config{ReadBufferSize: 2048}, 0); !strings.Contains(msg, "ReadBufferSize") {
		t.Fatalf("ReadBufferSize 2048: Mount panic %q, want one naming ReadBufferSize", msg)
	}
	if msg := mount(fiber.Config{}, 6000); !strings.Contains(msg, "TokenHeaderBudget") {
		t.Fatalf("a 6000-byte budget on a 4096-byte buffer: Mount panic %q, want one naming TokenHeaderBudget", msg)
	}
	if msg := mount(fiber.Config{ReadBufferSize: 8192}, 6000); msg != "" {
		t.Fatalf("a raised buffer for a raised budget: Mount panicked: %s", msg)
	}
}
