package core

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key, _ := NewKEK()
	k, err := newKEK(key)
	if err != nil {
		t.Fatal(err)
	}
	pt := []byte("pkcs8 bytes")
	sealed := k.seal("d-1", AlgEdDSA, pt)
	if bytes.Contains(sealed, pt) {
		t.Fatal("sealed blob contains the plaintext")
	}
	if sealedKEKID(sealed) != KEKID(key) || k.ID() != KEKID(key) {
		t.Fatalf("sealed under %q, KEK id %q", sealedKEKID(sealed), KEKID(key))
	}
	if got, err := k.open("d-1", AlgEdDSA, sealed); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("open: %q, %v", got, err)
	}
	if again := k.seal("d-1", AlgEdDSA, pt); bytes.Equal(again, sealed) {
		t.Fatal("two seals of one plaintext are equal: nonce reuse")
	}
	// Bound to its row: another kid or algorithm does not open.
	for _, tc := range []struct{ kid, alg string }{{"d-2", AlgEdDSA}, {"d-1", AlgES256}} {
		if _, err := k.open(tc.kid, tc.alg, sealed); !errors.Is(err, ErrKEK) {
			t.Fatalf("open as %s/%s: %v, want ErrKEK", tc.kid, tc.alg, err)
		}
	}
	// A flipped bit anywhere fails.
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 1
		if _, err := k.open("d-1", AlgEdDSA, bad); err == nil {
			t.Fatalf("a flipped bit at %d still opens", i)
		}
	}
	other, _ := NewKEK()
	ok2, _ := newKEK(other)
	if _, err := ok2.open("d-1", AlgEdDSA, sealed); !errors.Is(err, ErrKEK) || !strings.Contains(err.Error(), KEKID(key)) {
		t.Fatalf("open under another KEK: %v", err)
	}
}

func TestParseKEK(t *testing.T) {
	key, text := NewKEK()
	for _, s := range []string{text, " " + text + "\n", base64.RawURLEncoding.EncodeToString(key), base64.URLEncoding.EncodeToString(key)} {
		if got, err := ParseKEK(s); err != nil || !bytes.Equal(got, key) {
			t.Fatalf("ParseKEK(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(key[:31]), base64.StdEncoding.EncodeToString(append(key, 0))} {
		if _, err := ParseKEK(s); !errors.Is(err, ErrKEK) {
			t.Fatalf("ParseKEK(%q): %v, want ErrKEK", s, err)
		}
	}
}

func TestDevKEKFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dev.kek")
	k1, created, err := DevKEKFile(path)
	if err != nil || !created || len(k1) != KEKSize {
		t.Fatalf("first call: %d bytes, created=%v, %v", len(k1), created, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
	k2, created, err := DevKEKFile(path)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("second call: created=%v, same=%v, %v", created, bytes.Equal(k1, k2), err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := DevKEKFile(path); !errors.Is(err, ErrKEK) {
		t.Fatalf("a world-readable KEK file: %v, want ErrKEK", err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".ratchet-kek-*")); len(left) != 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}

// KEKFromGetenv reads RATCHET_KEK (required) and RATCHET_KEK_PREVIOUS (optional); its errors
// wrap ErrKEK and name the variable, never its value.
func TestKEKFromGetenv(t *testing.T) {
	cur, curText := NewKEK()
	old1, old1Text := NewKEK()
	old2, _ := NewKEK()
	old2URL := base64.RawURLEncoding.EncodeToString(old2)
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}

	got, prev, err := KEKFromGetenv(env(KEKEnv, " "+curText+"\n"))
	if err != nil || !bytes.Equal(got, cur) || prev != nil {
		t.Fatalf("RATCHET_KEK alone: current matches %v, previous %d, %v", bytes.Equal(got, cur), len(prev), err)
	}
	got, prev, err = KEKFromGetenv(env(KEKEnv, curText, PreviousKEKsEnv, old1Text+", ,"+old2URL+","))
	if err != nil || !bytes.Equal(got, cur) || len(prev) != 2 || !bytes.Equal(prev[0], old1) || !bytes.Equal(prev[1], old2) {
		t.Fatalf("with RATCHET_KEK_PREVIOUS: %d previous, %v; want the two, in order", len(prev), err)
	}

	short := base64.StdEncoding.EncodeToString(cur[:16])
	for name, tc := range map[string]struct {
		getenv func(string) string
		names  string
	}{
		"unset":            {env(), KEKEnv},
		"blank":            {env(KEKEnv, "  "), KEKEnv},
		"previous only":    {env(PreviousKEKsEnv, old1Text), KEKEnv},
		"short":            {env(KEKEnv, short), KEKEnv},
		"not base64":       {env(KEKEnv, "hunter2!"), KEKEnv},
		"previous garbled": {env(KEKEnv, curText, PreviousKEKsEnv, old1Text+",hunter2!"), PreviousKEKsEnv},
	} {
		got, prev, err := KEKFromGetenv(tc.getenv)
		if !errors.Is(err, ErrKEK) || got != nil || prev != nil {
			t.Errorf("%s: %d bytes, %d previous, %v; want nothing and ErrKEK", name, len(got), len(prev), err)
			continue
		}
		if !strings.Contains(err.Error(), tc.names) {
			t.Errorf("%s: %v does not name %s", name, err, tc.names)
		}
		for _, secret := range []string{curText, old1Text, short, "hunter2"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the error repeats a value of the environment: %v", name, err)
			}
		}
	}
}

// KEKFromEnv is KEKFromGetenv over the process environment.
func TestKEKFromEnv(t *testing.T) {
	cur, curText := NewKEK()
	t.Setenv(KEKEnv, curText)
	t.Setenv(PreviousKEKsEnv, "")
	got, prev, err := KEKFromEnv()
	if err != nil || !bytes.Equal(got, cur) || prev != nil {
		t.Fatalf("KEKFromEnv: current matches %v, %d previous, %v", bytes.Equal(got, cur), len(prev), err)
	}
	t.Setenv(KEKEnv, "")
	if _, _, err := KEKFromEnv(); !errors.Is(err, ErrKEK) || !strings.Contains(err.Error(), KEKEnv) {
		t.Fatalf("KEKFromEnv without RATCHET_KEK: %v, want ErrKEK naming it", err)
	}
}
