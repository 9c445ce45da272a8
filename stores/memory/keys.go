package memory

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/ratchetauth/ratchet/core"
)

var _ core.KeyStore = (*Store)(nil)

func cloneKey(k core.StoredKey) core.StoredKey {
	k.PublicKey = slices.Clone(k.PublicKey)
	k.PrivateKey = slices.Clone(k.PrivateKey)
	return k
}

// ListKeys implements core.KeyStore.
func (s *Store) ListKeys(ctx context.Context) ([]core.StoredKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]core.StoredKey, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, cloneKey(k))
	}
	return out, nil
}

// InsertKey implements core.KeyStore: an existing kid is left untouched.
func (s *Store) InsertKey(ctx context.Context, k core.StoredKey) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if k.KID == "" {
		return false, fmt.Errorf("memory: empty kid")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.keys[k.KID]; dup {
		return false, nil
	}
	if s.keys == nil {
		s.keys = map[string]core.StoredKey{}
	}
	s.keys[k.KID] = cloneKey(k)
	return true, nil
}

// UpdateKey implements core.KeyStore: the conditions and the change apply atomically under
// the store's lock.
func (s *Store) UpdateKey(ctx context.Context, kid string, u core.KeyUpdate) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if u.PrivateKey != nil && u.IfPrivateKey == nil {
		return false, fmt.Errorf("memory: UpdateKey replaces PrivateKey only with IfPrivateKey")
	}
	if !u.Revoke && u.RetireBy.IsZero() && u.PrivateKey == nil {
		return false, fmt.Errorf("memory: UpdateKey without a change")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[kid]
	if !ok || k.Revoked ||
		(u.IfPrivateKey != nil && !bytes.Equal(k.PrivateKey, u.IfPrivateKey)) ||
		(!u.RetireBy.IsZero() && !k.RetireAt.IsZero() && !k.RetireAt.After(u.RetireBy)) {
		return false, nil
	}
	if !u.RetireBy.IsZero() {
		k.RetireAt = u.RetireBy
	}
	if u.PrivateKey != nil {
		k.PrivateKey = slices.Clone(u.PrivateKey)
	}
	if u.Revoke {
		k.Revoked, k.PrivateKey = true, []byte{}
	}
	s.keys[kid] = k
	return true, nil
}
