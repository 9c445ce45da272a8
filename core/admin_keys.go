package core

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// KeyRingAdmin is implemented by key rings an operator can manage (StoreKeyRing); the admin
// API's key routes use it.
type KeyRingAdmin interface {
	// Keys describes every key of the ring, oldest first.
	Keys() []KeyInfo
	// NextRotation is when the ring will next create a key on its own; zero if never.
	NextRotation() time.Time
	// RotateNow creates a new signing key and returns its kid.
	RotateNow(ctx context.Context) (string, error)
	// RevokeKey revokes a key (ErrUnknownKey when there is none).
	RevokeKey(ctx context.Context, kid string) error
}

var _ KeyRingAdmin = (*StoreKeyRing)(nil)

type adminKey struct {
	KID         string `json:"kid"`
	Algorithm   string `json:"algorithm"`
	CreatedAt   int64  `json:"createdAt"`
	SignAfter   int64  `json:"signAfter"`
	RetireAt    int64  `json:"retireAt"`
	VerifyUntil int64  `json:"verifyUntil"`
	Revoked     bool   `json:"revoked"`
	Signing     bool   `json:"signing"`
	Verifying   bool   `json:"verifying"`
}

// unixMilli is t in Unix milliseconds, 0 for the zero time.
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func (e *Engine) serveAdminKeys(ctx context.Context, req Request, resp Response, _ string) {
	_, _, ok := e.adminAccess(ctx, req, resp, false)
	if !ok {
		return
	}
	ka, managed := e.cfg.Keys.(KeyRingAdmin)
	if !managed {
		// A static ring: what its JWKS says (the keys that verify).
		keys := []adminKey{}
		var set struct {
			Keys []struct{ Kid, Alg string } `json:"keys"`
		}
		if b, err := e.cfg.Keys.JWKS(); err == nil && json.Unmarshal(b, &set) == nil {
			for _, k := range set.Keys {
				keys = append(keys, adminKey{KID: k.Kid, Algorithm: k.Alg, Verifying: true})
			}
		}
		if sk, err := e.cfg.Keys.SigningKey(); err == nil {
			for i := range keys {
				keys[i].Signing = keys[i].KID == sk.ID
			}
		}
		resp.Write(200, contentJSON, mustJSON(map[string]any{"managed": false, "keys": keys}))
		return
	}
	infos := ka.Keys()
	keys := make([]adminKey, len(infos))
	for i, k := range infos {
		keys[i] = adminKey{KID: k.KID, Algorithm: k.Algorithm, CreatedAt: unixMilli(k.CreatedAt), SignAfter: unixMilli(k.SignAfter),
			RetireAt: unixMilli(k.RetireAt), VerifyUntil: unixMilli(k.VerifyUntil), Revoked: k.Revoked, Signing: k.Signing,
			Verifying: k.Verifying}
	}
	resp.Write(200, contentJSON, mustJSON(map[string]any{"managed": true, "nextRotation": unixMilli(ka.NextRotation()), "keys": keys}))
}

func (e *Engine) serveAdminRotateKey(ctx context.Context, req Request, resp Response, _ string) {
	var body struct{}
	ctx, ok := e.adminWrite(ctx, req, resp, &body)
	if !ok {
		return
	}
	ka, managed := e.cfg.Keys.(KeyRingAdmin)
	if !managed {
		e.WriteError(ctx, req, resp, adminNotAvailable(409, "the key ring is not managed (NewStoreKeyRing)"))
		return
	}
	kid, err := ka.RotateNow(ctx)
	if err != nil {
		e.WriteError(ctx, req, resp, storeErr("rotate key", err))
		return
	}
	e.adminAudit(ctx, req, "rotate_key "+kid, "", "")
	resp.Write(200, contentJSON, mustJSON(map[string]any{"status": "OK", "kid": kid}))
}

func (e *Engine) serveAdminRevokeKey(ctx context.Context, req Request, resp Response, _ string) {
	var body struct {
		KID string `json:"kid"`
	}
	ctx, ok := e.adminWrite(ctx, req, resp, &body)
	if !ok {
		return
	}
	if body.KID == "" || len(body.KID) > 128 {
		e.WriteError(ctx, req, resp, &Error{Kind: ErrBadRequest, Reason: "kid is required"})
		return
	}
	ka, managed := e.cfg.Keys.(KeyRingAdmin)
	if !managed {
		e.WriteError(ctx, req, resp, adminNotAvailable(409, "the key ring is not managed (NewStoreKeyRing)"))
		return
	}
	err := ka.RevokeKey(ctx, body.KID)
	if errors.Is(err, ErrUnknownKey) {
		e.WriteError(ctx, req, resp, adminNotAvailable(404, "no such key"))
		return
	}
	if err != nil {
		e.WriteError(ctx, req, resp, storeErr("revoke key", err))
		return
	}
	e.adminAudit(ctx, req, "revoke_key "+body.KID, "", "")
	resp.Write(200, contentJSON, []byte(`{"status":"OK"}`))
}
