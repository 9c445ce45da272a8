package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The quick-start programs accept this user (the demo app's).
const (
	demoEmail    = "alice@example.com"
	demoPassword = "demo-password"
	demoUserID   = "alice"
)

// Offline is the environment of a go command that runs as a user's would, outside the
// repository, but with nothing from the network and nothing from a cache of our modules.
type Offline struct {
	Env      []string
	ModCache string // the private, initially empty GOMODCACHE
}

// goEnvOverrides are the variables Offline sets; any inherited value is dropped.
var goEnvOverrides = []string{
	"GO111MODULE", "GOENV", "GOFLAGS", "GOINSECURE", "GOMODCACHE", "GONOPROXY", "GONOSUMCHECK",
	"GONOSUMDB", "GOPATH", "GOPRIVATE", "GOPROXY", "GOSUMDB", "GOTOOLCHAIN", "GOVCS", "GOWORK", "GOCACHE",
}

// NewOffline returns the environment for go commands that read our modules from the proxy
// at proxyDir and every other module from the machine's module cache download directory
// (realCache/cache/download), with a private module cache under scratch. GOVCS=*:off and a
// GOPROXY list without "direct" keep every go command off the network; GOSUMDB=off because
// the checksum database has never seen these zips. The build cache stays the machine's: it
// is keyed by content and, under -trimpath, by module@version, so it caches no source.
func NewOffline(scratch, proxyDir, realCache, buildCache string, moreCaches ...string) (*Offline, error) {
	o := &Offline{ModCache: filepath.Join(scratch, "gomodcache")}
	proxies := []string{fileURL(proxyDir), fileURL(filepath.Join(realCache, "cache", "download"))}
	for _, c := range moreCaches {
		proxies = append(proxies, fileURL(filepath.Join(c, "cache", "download")))
	}
	for _, d := range []string{o.ModCache, filepath.Join(scratch, "gopath")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !containsString(goEnvOverrides, k) {
			o.Env = append(o.Env, kv)
		}
	}
	o.Env = append(o.Env,
		"GO111MODULE=on",
		"GOENV=off", // no go env -w settings (a GOPROXY or GOPRIVATE there would apply)
		"GOWORK=off",
		"GOFLAGS=-mod=mod",
		"GOTOOLCHAIN=local",
		"GOMODCACHE="+o.ModCache,
		"GOPATH="+filepath.Join(scratch, "gopath"),
		"GOCACHE="+buildCache,
		"GOPROXY="+strings.Join(proxies, ","),
		"GOSUMDB=off",
		"GONOSUMDB=", "GONOSUMCHECK=", "GONOPROXY=", "GOPRIVATE=", "GOINSECURE=",
		"GOVCS=*:off",
	)
	return o, nil
}

// NewResolver is NewOffline with one difference: a module neither our proxy nor the machine's
// cache has comes from upstream (the machine's GOPROXY, without "direct"). Check runs every
// consumer's steps with it first, so that its private cache then holds every module a
// consumer's `go get` steps read on their way (a combination of our modules can select a
// version none of them requires alone), and the offline run, given that cache too, is exact.
func NewResolver(scratch, proxyDir, realCache, buildCache, upstream string) (*Offline, error) {
	o, err := NewOffline(scratch, proxyDir, realCache, buildCache)
	if err != nil {
		return nil, err
	}
	var up []string
	for _, p := range strings.FieldsFunc(upstream, func(r rune) bool { return r == ',' || r == '|' }) {
		if p != "direct" && p != "off" {
			up = append(up, p)
		}
	}
	for i, kv := range o.Env {
		if strings.HasPrefix(kv, "GOPROXY=") && len(up) > 0 {
			o.Env[i] = kv + "," + strings.Join(up, ",")
		}
	}
	return o, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func fileURL(dir string) string {
	return "file://" + filepath.ToSlash(dir)
}

// Go runs a go command in dir under the offline environment, returning its combined output.
func (o *Offline) Go(ctx context.Context, dir string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = o.Env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("go %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out), nil
}

// Clean empties the private module cache (its files are read-only, so os.RemoveAll alone
// cannot).
func (o *Offline) Clean(ctx context.Context, dir string) error {
	_, err := o.Go(ctx, dir, "clean", "-modcache")
	return err
}

// newConsumer makes an empty module named name in dir, as `go mod init` would, declaring the
// oldest Go version our modules support.
func newConsumer(dir, name string, goVersion string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/"+name+"\n\ngo "+goVersion+"\n"), 0o644)
}

// runInstall runs one README install line (["go" "get" "<module>@<version>"]) in dir.
func (o *Offline) runInstall(ctx context.Context, dir string, line []string) error {
	if len(line) < 2 || line[0] != "go" {
		return fmt.Errorf("not a go command: %q", line)
	}
	_, err := o.Go(ctx, dir, line[1:]...)
	return err
}

// graphModules lists the module paths in dir's module graph (go mod graph needs only go.mod
// files, which the machine's module cache holds for every module in the graph).
func (o *Offline) graphModules(ctx context.Context, dir string) (map[string][]string, error) {
	out, err := o.Go(ctx, dir, "mod", "graph")
	if err != nil {
		return nil, err
	}
	versions := map[string][]string{}
	for _, node := range strings.Fields(out) {
		p, v, _ := strings.Cut(node, "@")
		if !slices.Contains(versions[p], v) {
			versions[p] = append(versions[p], v)
		}
	}
	return versions, nil
}

// checkResolved requires every one of our modules in dir's module graph to be at version,
// and each of want to be unreplaced and extracted into the private module cache (so it came
// from the proxy).
func (o *Offline) checkResolved(ctx context.Context, r *Repo, dir string, want []*Module) error {
	graph, err := o.graphModules(ctx, dir)
	if err != nil {
		return err
	}
	for p, vs := range graph {
		if r.isOurs(p) && (len(vs) != 1 || vs[0] != r.Version) {
			return fmt.Errorf("%s: the module graph has %s at %v, want only %s", dir, p, vs, r.Version)
		}
	}
	args := []string{"list", "-m", "-f", "{{.Path}}\t{{.Version}}\t{{.Dir}}\t{{if .Replace}}replaced{{end}}"}
	for _, m := range want {
		args = append(args, m.Path)
	}
	out, err := o.Go(ctx, dir, args...)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != len(want) {
		return fmt.Errorf("%s: go list -m: %q, want %d modules", dir, out, len(want))
	}
	for _, line := range lines {
		f := strings.Split(line, "\t")
		if len(f) != 4 || f[1] != r.Version || f[3] != "" {
			return fmt.Errorf("%s resolved %q, want version %s from the proxy", dir, line, r.Version)
		}
		if rel, err := filepath.Rel(o.ModCache, f[2]); err != nil || strings.HasPrefix(rel, "..") {
			return fmt.Errorf("%s: %s is in %s, not in the private module cache", dir, f[0], f[2])
		}
	}
	return nil
}

// app is a running quick-start program.
type app struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error // the process's exit, valid after done is closed
	base string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startApp runs bin in dir with ADDR set to a free loopback port and RATCHET_KEK to a fresh
// key-encryption key, and waits until it answers.
func startApp(bin, dir string) (*app, error) {
	kek := make([]byte, 32)
	if _, err := rand.Read(kek); err != nil {
		return nil, err
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ADDR=") && !strings.HasPrefix(kv, "RATCHET_KEK") {
			env = append(env, kv)
		}
	}
	env = append(env, "RATCHET_KEK="+base64.StdEncoding.EncodeToString(kek))
	var lastErr error
	for range 3 { // another process may take the port between our probe and the program's listen
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		a := &app{out: &syncBuffer{}, done: make(chan struct{}), base: "http://127.0.0.1:" + strconv.Itoa(port)}
		a.cmd = exec.Command(bin)
		a.cmd.Dir = dir
		a.cmd.Env = append(slices.Clip(env), "ADDR=127.0.0.1:"+strconv.Itoa(port))
		a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
		if err := a.cmd.Start(); err != nil {
			return nil, err
		}
		go func() { a.err = a.cmd.Wait(); close(a.done) }()
		if lastErr = a.waitReady(30 * time.Second); lastErr == nil {
			return a, nil
		}
		a.stop()
	}
	return nil, lastErr
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (a *app) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-a.done:
			return fmt.Errorf("the program exited (%v) before it answered:\n%s", a.err, a.out.String())
		default:
		}
		resp, err := client.Get(a.base + "/auth/jwt/jwks.json")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer on %s after %s: %v\n%s", a.base, limit, err, a.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop interrupts the program and kills it if it has not exited after five seconds.
func (a *app) stop() {
	_ = a.cmd.Process.Signal(os.Interrupt)
	select {
	case <-a.done:
	case <-time.After(5 * time.Second):
		_ = a.cmd.Process.Kill()
		<-a.done
	}
}

// exchange is one HTTP request the sign-in script makes.
func (a *app) exchange(method, path, body string, header map[string]string) (*http.Response, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return nil, "", err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, string(b), err
}

// signInScript is what a SuperTokens frontend in header mode does: the protected route
// refuses an anonymous call, sign-in returns the tokens in headers, the access token opens
// the protected route, and a refresh rotates the tokens into a pair that works too.
func (a *app) signInScript() error {
	const protected = "/api/me"
	resp, body, err := a.exchange("GET", protected, "", nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("GET %s without a token: %d %s, want 401", protected, resp.StatusCode, body)
	}

	sdk := map[string]string{"rid": "emailpassword", "st-auth-mode": "header", "fdi-version": "3.1"}
	signIn := map[string]string{"Content-Type": "application/json"}
	for k, v := range sdk {
		signIn[k] = v
	}
	creds, err := json.Marshal(map[string]string{"email": demoEmail, "password": demoPassword})
	if err != nil {
		return err
	}
	resp, body, err = a.exchange("POST", "/auth/signin", string(creds), signIn)
	if err != nil {
		return err
	}
	var status struct{ Status string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &status) != nil || status.Status != "OK" {
		return fmt.Errorf("POST /auth/signin: %d %s, want 200 {\"status\":\"OK\",…}", resp.StatusCode, body)
	}
	access, refresh := resp.Header.Get("st-access-token"), resp.Header.Get("st-refresh-token")
	if access == "" || refresh == "" || resp.Header.Get("front-token") == "" {
		return fmt.Errorf("POST /auth/signin: no st-access-token, st-refresh-token or front-token header: %v", resp.Header)
	}
	if err := a.expectUser(protected, access); err != nil {
		return err
	}

	refreshHeader := map[string]string{"Authorization": "Bearer " + refresh}
	for k, v := range sdk {
		refreshHeader[k] = v
	}
	resp, body, err = a.exchange("POST", "/auth/session/refresh", "", refreshHeader)
	if err != nil {
		return err
	}
	next := resp.Header.Get("st-access-token")
	if resp.StatusCode != http.StatusOK || next == "" || next == access || resp.Header.Get("st-refresh-token") == "" {
		return fmt.Errorf("POST /auth/session/refresh: %d %s (new access token: %t), want 200 and a new token pair",
			resp.StatusCode, body, next != "" && next != access)
	}
	return a.expectUser(protected, next)
}

func (a *app) expectUser(path, access string) error {
	resp, body, err := a.exchange("GET", path, "", map[string]string{"Authorization": "Bearer " + access})
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, demoUserID) {
		return fmt.Errorf("GET %s with the access token: %d %s, want 200 naming %s", path, resp.StatusCode, body, demoUserID)
	}
	return nil
}
