package demotest

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

// command runs this test binary as the example (see Main) with env added.
func command(ctx context.Context, t *testing.T, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Dir = t.TempDir()
	// Nothing of the test's own environment may configure the app: every variable the app
	// reads starts empty.
	cmd.Env = append(os.Environ(), envMain+"=1", "ADDR=", "DATABASE_URL=", "WEBSITE_ORIGIN=", "API_ORIGIN=",
		"ROTATION_GRACE=", "ACCESS_TOKEN_TTL=", "CLOCK_SKEW=", "DEMO_PASSWORD=", "RATCHET_KEK=",
		"DB_MAX_OPEN_CONNS=", "DB_MAX_IDLE_CONNS=", "READ_HEADER_TIMEOUT=", "READ_TIMEOUT=", "WRITE_TIMEOUT=", "IDLE_TIMEOUT=",
		"METRICS=")
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// closedPort returns a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// Process runs the example's real main as a child process: it fails fast with a clear
// message on a bad configuration or an unreachable database, and on the default SQLite
// file it starts, prints the URL and the demo credentials, serves, and exits 0 on SIGTERM.
func Process(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	_, kek := core.NewKEK()
	failures := []struct {
		env  []string
		want string
	}{
		{[]string{"DATABASE_URL=mongodb://localhost/db"}, "DATABASE_URL scheme"},
		{[]string{"DATABASE_URL=sqlite:///no/such/dir/x.db"}, "does not exist"},
		{[]string{"DATABASE_URL=postgres://u:hunter2@" + closedPort(t) + "/db?sslmode=disable", "RATCHET_KEK=" + kek}, "cannot connect to database"},
		{[]string{"DATABASE_URL=mysql://u:hunter2@tcp(" + closedPort(t) + ")/db", "RATCHET_KEK=" + kek}, "cannot connect to database"},
		// A network database needs RATCHET_KEK: checked before connecting.
		{[]string{"DATABASE_URL=postgres://u:hunter2@" + closedPort(t) + "/db?sslmode=disable"}, "RATCHET_KEK is required"},
		{[]string{"DATABASE_URL=mysql://u:hunter2@tcp(" + closedPort(t) + ")/db"}, "RATCHET_KEK is required"},
		{[]string{"ACCESS_TOKEN_TTL=soon"}, "ACCESS_TOKEN_TTL"},
		{[]string{"ADDR=" + closedPort(t) + "x"}, "ADDR"},
		{[]string{"API_ORIGIN=api.example.com"}, "API_ORIGIN"},
		{[]string{"API_ORIGIN=https://api.example.com/auth"}, "API_ORIGIN"},
		{[]string{"DB_MAX_OPEN_CONNS=0"}, "DB_MAX_OPEN_CONNS"},
		{[]string{"DB_MAX_OPEN_CONNS=ten"}, "DB_MAX_OPEN_CONNS"},
		{[]string{"DB_MAX_OPEN_CONNS=-3"}, "DB_MAX_OPEN_CONNS"},
		{[]string{"DB_MAX_IDLE_CONNS=1.5"}, "DB_MAX_IDLE_CONNS"},
		{[]string{"DB_MAX_OPEN_CONNS=2", "DB_MAX_IDLE_CONNS=3"}, "DB_MAX_IDLE_CONNS"},
		{[]string{"DB_MAX_IDLE_CONNS=100"}, "DB_MAX_IDLE_CONNS"}, // above the default pool of the SQLite file
		{[]string{"READ_TIMEOUT=0s"}, "READ_TIMEOUT"},
	}
	for _, f := range failures {
		out, err := command(ctx, t, f.env...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("%s: want exit status 1, got %v\n%s", f.env, err, out)
		}
		if !strings.Contains(string(out), f.want) {
			t.Errorf("%s: message %q does not mention %q", f.env, out, f.want)
		}
		if strings.Contains(string(out), "hunter2") {
			t.Errorf("%s: the message shows the password: %s", f.env, out)
		}
	}

	addr := closedPort(t)
	cmd := command(ctx, t, "ADDR="+addr)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var banner strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !strings.Contains(sc.Text(), "WARNING") {
		banner.WriteString(sc.Text() + "\n")
	}
	for _, want := range []string{"http://" + addr + "/", "alice@example.com", "bob@example.com", "demo-password",
		"at most 8 connections", "header 5s, read 15s, write 30s, idle 1m0s"} {
		if !strings.Contains(banner.String(), want) {
			t.Errorf("banner %q does not show %q", banner.String(), want)
		}
	}
	res, err := http.Get("http://" + addr + "/")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /: %v %v\n%s", res, err, stderr.String())
	}
	res.Body.Close()
	if _, err := os.Stat(filepath.Join(cmd.Dir, "ratchet-demo.db")); err != nil {
		t.Errorf("no SQLite file in the working directory: %v", err)
	}
	go func() { _, _ = bufio.NewReader(stdout).WriteTo(new(bytes.Buffer)) }()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "stopped cleanly") {
		t.Errorf("no clean stop reported:\n%s", stderr.String())
	}
}
