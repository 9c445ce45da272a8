package demotest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/internal/testkit"
)

// running is an example started as a real process (the test binary re-executed as main).
type running struct {
	base   string // http://ADDR
	banner string
	stderr *syncBuffer
}

// logTail is the end of the app's log, without the security events (one per refresh), for
// failure messages.
func (r *running) logTail() string {
	var keep []string
	for _, l := range strings.Split(r.stderr.String(), "\n") {
		if !strings.Contains(l, "security event") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep[max(0, len(keep)-40):], "\n")
}

// syncBuffer is a goroutine-safe buffer (testkit.SyncBuffer).
type syncBuffer = testkit.SyncBuffer

// startApp runs the example's main with env (VAR=value…) on a free loopback port, waits for
// its banner and returns it. When the test ends, the process gets SIGTERM and must exit 0.
// Without DATABASE_URL in env it uses the default SQLite file in a temporary directory.
func startApp(t *testing.T, env ...string) *running {
	t.Helper()
	return startApps(t, 1, env...)[0]
}

// startApps starts n instances with the same env all at once, each on its own port, and
// waits for every banner.
func startApps(t *testing.T, n int, env ...string) []*running {
	t.Helper()
	apps := make([]*running, n)
	banners := make([]chan string, n)
	for i := range apps {
		addr := closedPort(t)
		cmd := command(context.Background(), t, append([]string{"ADDR=" + addr}, env...)...)
		r := &running{base: "http://" + addr, stderr: &syncBuffer{}}
		cmd.Stderr = r.stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		bannerc := make(chan string, 1)
		go func() {
			var b strings.Builder
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				b.WriteString(sc.Text() + "\n")
				if strings.Contains(sc.Text(), "WARNING") {
					break
				}
			}
			bannerc <- b.String()
			_, _ = io.Copy(io.Discard, stdout)
			exited <- cmd.Wait()
		}()
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-exited:
				if err != nil && r.banner != "" {
					t.Errorf("the app did not exit cleanly on SIGTERM: %v\n%s", err, r.logTail())
				}
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				t.Errorf("the app did not exit within 30 s of SIGTERM\n%s", r.logTail())
				<-exited
			}
		})
		apps[i], banners[i] = r, bannerc
	}
	for i, r := range apps {
		select {
		case b := <-banners[i]:
			if !strings.Contains(b, "WARNING") {
				t.Fatalf("the app stopped before serving:\n%s%s", b, r.logTail())
			}
			r.banner = b
		case <-time.After(60 * time.Second):
			t.Fatalf("no banner within 60 s\n%s", r.logTail())
		}
	}
	return apps
}

// randomRefreshToken has the shape of a refresh token (handle.body.tag, base64url of 16, 32
// and 16 bytes), so the engine looks its handle up in the database, and finds nothing.
func randomRefreshToken() string {
	part := func(n int) string {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return part(16) + "." + part(32) + "." + part(16)
}
