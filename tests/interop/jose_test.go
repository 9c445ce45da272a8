package interop

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/internal/testenv"
)

// TestJoseInterop runs jose/verify.mjs (the jose npm package: createRemoteJWKSet + jwtVerify)
// against the key server, for EdDSA, ES256 and RS256 across rotations and a revocation. It
// needs node and jose/node_modules (`make interop-deps`): under CI=true their absence fails
// the test, elsewhere it skips loudly.
func TestJoseInterop(t *testing.T) {
	node, err := exec.LookPath("node")
	testenv.NeedService(t, "node (for the jose interop test)", err)
	if _, err := os.Stat(filepath.Join("jose", "node_modules", "jose", "package.json")); err != nil {
		testenv.NeedService(t, "the jose npm package (run `make interop-deps`)", err)
	}
	srv, _ := newKeyServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "verify.mjs")
	cmd.Dir = "jose"
	cmd.Env = append(os.Environ(), "RATCHET_INTEROP_URL="+srv.URL, "RATCHET_INTEROP_ISSUER="+issuer)
	out, err := cmd.CombinedOutput()
	t.Logf("node jose/verify.mjs:\n%s", strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("jose verification failed: %v", err)
	}
	if !strings.Contains(string(out), " 0 failed") || strings.Contains(string(out), "not ok") {
		t.Fatal("the script did not report a clean run")
	}
}
