package core

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestHMACMatchesStandardLibrary(t *testing.T) {
	// RFC 4231, test cases 1, 2 and 4 (keys up to one block).
	vectors := []struct{ key, data, mac string }{
		{strings.Repeat("0b", 20), hex.EncodeToString([]byte("Hi There")),
			"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
		{hex.EncodeToString([]byte("Jefe")), hex.EncodeToString([]byte("what do ya want for nothing?")),
			"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"0102030405060708090a0b0c0d0e0f10111213141516171819", strings.Repeat("cd", 50),
			"82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
	}
	for _, v := range vectors {
		key, _ := hex.DecodeString(v.key)
		data, _ := hex.DecodeString(v.data)
		got := hmacSHA256(key, "", data, nil)
		if hex.EncodeToString(got[:]) != v.mac {
			t.Errorf("HMAC(%s, %s) = %x, want %s", v.key, v.data, got, v.mac)
		}
	}
	// Random keys and the shapes the tokens use, split at every point, against crypto/hmac.
	for i := range 2000 {
		key := make([]byte, 1+i%64)
		msg := make([]byte, i%(maxMACInput-7))
		_, _ = rand.Read(key)
		_, _ = rand.Read(msg)
		label := "rt-next"[:i%8]
		cut := i % (len(msg) + 1)
		m := hmac.New(sha256.New, key)
		m.Write([]byte(label))
		m.Write(msg)
		if got := hmacSHA256(key, label, msg[:cut], msg[cut:]); !hmac.Equal(got[:], m.Sum(nil)) {
			t.Fatalf("key %x label %q msg %x: differs from crypto/hmac", key, label, msg)
		}
	}
}

func TestHMACRefusesOversizedInput(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a key longer than one block did not panic")
		}
	}()
	hmacSHA256(make([]byte, 65), "", nil, nil)
}
