package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// BuildExamples builds each framework's example binary into dir, from the repository root so
// that go.work applies. It returns framework → binary path.
func BuildExamples(ctx context.Context, root, dir string, frameworks []string) (map[string]string, error) {
	bins := map[string]string{}
	for _, fw := range frameworks {
		if _, done := bins[fw]; done {
			continue
		}
		out := filepath.Join(dir, fw)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./examples/"+fw)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build ./examples/%s: %v\n%s", fw, err, b)
		}
		bins[fw] = out
	}
	return bins, nil
}

// ExportCommit writes the tree of commit rev (HEAD, a hash, a tag) into dir with git archive:
// a clean source to build from while others edit the working tree, or an older commit to
// compare with. It returns the commit's short hash.
func ExportCommit(ctx context.Context, root, rev, dir string) (string, error) {
	if strings.HasPrefix(rev, "-") {
		return "", fmt.Errorf("-src %q is not a commit", rev)
	}
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short", "--verify", rev+"^{commit}").Output()
	if err != nil {
		return "", fmt.Errorf("-src %q: not a commit of the repository (git rev-parse: %v)", rev, err)
	}
	commit := strings.TrimSpace(string(out))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	archive := exec.CommandContext(ctx, "git", "-C", root, "archive", "--format=tar", commit)
	untar := exec.CommandContext(ctx, "tar", "-x", "-C", dir)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		return "", err
	}
	untar.Stdin = pipe
	var stderr bytes.Buffer
	archive.Stderr, untar.Stderr = &stderr, &stderr
	if err := untar.Start(); err != nil {
		return "", err
	}
	if err := archive.Run(); err != nil {
		_ = untar.Wait()
		return "", fmt.Errorf("git archive: %v: %s", err, stderr.Bytes())
	}
	if err := untar.Wait(); err != nil {
		return "", fmt.Errorf("tar: %v: %s", err, stderr.Bytes())
	}
	return commit, nil
}

// FindRoot walks up from dir to the directory holding go.work: the repository root.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work above the working directory: run from the repository, or pass -root")
		}
		dir = parent
	}
}

// Instance is one running example app.
type Instance struct {
	Name    string // e.g. gin-0
	Bin     string
	Addr    string // 127.0.0.1:port
	env     []string
	dir     string
	logPath string
	secret  string // the demo password, scrubbed from log excerpts

	cmd      *exec.Cmd
	done     chan struct{}
	exitErr  error
	Restarts int
}

// freeAddr finds a free port on 127.0.0.1. Another process could take it before the instance
// binds; start then fails and says so.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Start runs the binary. Its output goes to a log file next to it, never to the fleet's output.
func (in *Instance) Start() error {
	f, err := os.OpenFile(in.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "\n=== fleet: start %s at %s\n", in.Name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(in.Bin)
	cmd.Dir = in.dir
	cmd.Env = in.env
	cmd.Stdout, cmd.Stderr = f, f
	// The instance dies with the fleet, even if the fleet is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", in.Name, err)
	}
	in.cmd, in.done, in.exitErr = cmd, make(chan struct{}), nil
	done := in.done
	go func() {
		err := cmd.Wait()
		f.Close()
		in.exitErr = err
		close(done)
	}()
	return nil
}

// PID of the running process.
func (in *Instance) PID() int { return in.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (in *Instance) Exited() bool {
	select {
	case <-in.done:
		return true
	default:
		return false
	}
}

// WaitReady polls the JWKS route until it answers 200, the process exits or timeout passes.
func (in *Instance) WaitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: 2 * time.Second}
	for i := 0; time.Now().Before(deadline); i++ {
		if in.Exited() {
			return fmt.Errorf("%s exited during start (%v); log:\n%s", in.Name, in.exitErr, in.LogTail(20))
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+in.Addr+"/auth/jwt/jwks.json", nil)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not ready after %s; log:\n%s", in.Name, timeout, in.LogTail(20))
}

// Kill sends SIGKILL and waits for the process to end.
func (in *Instance) Kill() {
	_ = in.cmd.Process.Signal(syscall.SIGKILL)
	<-in.done
}

// Stop sends SIGTERM and waits up to grace for a clean exit, then kills. It reports whether
// the instance exited cleanly (status 0) within grace.
func (in *Instance) Stop(grace time.Duration) error {
	if in.cmd == nil || in.Exited() {
		return nil
	}
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.done:
		if in.exitErr != nil {
			return fmt.Errorf("%s: exit after SIGTERM: %v", in.Name, in.exitErr)
		}
		return nil
	case <-time.After(grace):
		in.Kill()
		return fmt.Errorf("%s: no exit within %s of SIGTERM; killed", in.Name, grace)
	}
}

// LogTail returns the last n lines of the instance's log, with the demo password masked.
func (in *Instance) LogTail(n int) string {
	b, err := os.ReadFile(in.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if in.secret != "" {
		b = bytes.ReplaceAll(b, []byte(in.secret), []byte("xxxxx"))
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + strings.Join(lines, "\n    ")
}

// ProcStats are a process's file descriptors and resident memory, from /proc.
type ProcStats struct {
	FDs   int
	RSSKB int
	OK    bool
}

// ReadProcStats reads /proc/PID/fd and VmRSS of /proc/PID/status.
func ReadProcStats(pid int) ProcStats {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return ProcStats{}
	}
	st := ProcStats{FDs: len(ents), OK: true}
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return st
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				st.RSSKB, _ = strconv.Atoi(fields[0])
			}
		}
	}
	return st
}
