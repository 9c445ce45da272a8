package gormstore

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ratchetauth/ratchet/core"
)

// The signing-keys table backs core.KeyStore, the shared key ring of core.NewStoreKeyRing.
// Every write is one conditional statement: INSERT … ON CONFLICT DO NOTHING (ON DUPLICATE KEY
// UPDATE kid = kid on MySQL) and UPDATE … WHERE kid = ? AND revoked = false AND <conditions>.
// On PostgreSQL, an inserted key and a revoked or retired one are announced with NOTIFY
// (kind "keys", see NotifyChannel) after the statement.

var _ core.KeyStore = (*Store)(nil)

// noRetire stands for "not retired yet" in the NOT NULL retire_at column. It compares later
// than every real time, which is what KeyUpdate.RetireBy's condition needs.
var noRetire = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

func (s *Store) keyTable(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Table(s.keys)
}

func toKeyRow(k core.StoredKey) *signingKeyRow {
	retire := noRetire
	if !k.RetireAt.IsZero() {
		retire = dbTime(k.RetireAt)
	}
	priv := slices.Clone(k.PrivateKey)
	if priv == nil {
		priv = []byte{}
	}
	return &signingKeyRow{
		KID: key(k.KID), Algorithm: k.Algorithm, PublicKey: slices.Clone(k.PublicKey), PrivateKeyEnc: priv,
		CreatedAt: dbTime(k.CreatedAt), NotBefore: dbTime(k.SignAfter), RetireAt: retire, Revoked: k.Revoked,
	}
}

func (r *signingKeyRow) stored() core.StoredKey {
	k := core.StoredKey{
		KID: string(r.KID), Algorithm: r.Algorithm, PublicKey: r.PublicKey, PrivateKey: r.PrivateKeyEnc,
		CreatedAt: r.CreatedAt.UTC(), SignAfter: r.NotBefore.UTC(), Revoked: r.Revoked,
	}
	if r.RetireAt.Before(noRetire) {
		k.RetireAt = r.RetireAt.UTC()
	}
	return k
}

// ListKeys implements core.KeyStore: one SELECT of the whole (small) table.
func (s *Store) ListKeys(ctx context.Context) ([]core.StoredKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, wrap(ctx, "list keys", err)
	}
	var rows []signingKeyRow
	if err := s.keyTable(ctx).Order("kid").Find(&rows).Error; err != nil {
		return nil, wrap(ctx, "list keys", err)
	}
	out := make([]core.StoredKey, len(rows))
	for i := range rows {
		out[i] = rows[i].stored()
	}
	return out, nil
}

// InsertKey implements core.KeyStore: one INSERT that does nothing when the kid exists. On
// MySQL, whose rows-affected count for ON DUPLICATE KEY UPDATE depends on the client's
// CLIENT_FOUND_ROWS flag, the outcome is read back instead: the row is ours if it holds our
// (freshly generated) public key.
func (s *Store) InsertKey(ctx context.Context, k core.StoredKey) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, wrap(ctx, "insert key", err)
	}
	if k.KID == "" {
		return false, errors.New("gormstore: insert key: empty kid")
	}
	release, err := s.gate(ctx)
	if err != nil {
		return false, wrap(ctx, "insert key", err)
	}
	defer release()
	row := toKeyRow(k)
	res, err := sendRetrying(ctx, func() *gorm.DB {
		return s.keyTable(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "kid"}}, DoNothing: true}).Create(row)
	})
	if err != nil {
		return false, wrap(ctx, "insert key", err)
	}
	if s.dialect != dialectMySQL {
		if res.RowsAffected == 1 {
			s.notifyKeys(ctx)
		}
		return res.RowsAffected == 1, nil
	}
	var pubs [][]byte
	if err := s.keyTable(ctx).Where("kid = ?", k.KID).Limit(1).Pluck("public_key", &pubs).Error; err != nil {
		return false, wrap(ctx, "insert key", err)
	}
	return len(pubs) == 1 && bytes.Equal(pubs[0], k.PublicKey), nil
}

// UpdateKey implements core.KeyStore as exactly one statement,
//
//	UPDATE signing_keys SET <u> WHERE kid = ? AND revoked = false
//	   [AND private_key_enc = ?] [AND retire_at > ?]
//
// Every change it makes alters a value (revoked false → true, retire_at strictly earlier, a
// different sealed key), so MySQL's changed-rows count equals the matched rows.
func (s *Store) UpdateKey(ctx context.Context, kid string, u core.KeyUpdate) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, wrap(ctx, "update key", err)
	}
	if u.PrivateKey != nil && u.IfPrivateKey == nil {
		return false, errors.New("gormstore: update key: PrivateKey requires IfPrivateKey")
	}
	set := map[string]any{}
	if !u.RetireBy.IsZero() {
		set["retire_at"] = dbTime(u.RetireBy)
	}
	if u.PrivateKey != nil {
		set["private_key_enc"] = nonNil(u.PrivateKey)
	}
	if u.Revoke {
		set["revoked"] = true
		set["private_key_enc"] = []byte{}
	}
	if len(set) == 0 {
		return false, errors.New("gormstore: update key: no change")
	}
	release, err := s.gate(ctx)
	if err != nil {
		return false, wrap(ctx, "update key", err)
	}
	defer release()
	q := s.keyTable(ctx).Where("kid = ? AND revoked = false", kid)
	if u.IfPrivateKey != nil {
		q = q.Where("private_key_enc = ?", nonNil(u.IfPrivateKey))
	}
	if !u.RetireBy.IsZero() {
		q = q.Where("retire_at > ?", dbTime(u.RetireBy))
	}
	res, err := sendRetrying(ctx, func() *gorm.DB { return q.Session(&gorm.Session{}).Updates(set) })
	if err != nil {
		return false, wrap(ctx, "update key", err)
	}
	// Revoking and retiring change what signs and verifies; re-wrapping and erasing a private
	// key do not (an erased key can no longer sign anywhere), so they are not announced.
	if res.RowsAffected > 0 && (u.Revoke || !u.RetireBy.IsZero()) {
		s.notifyKeys(ctx)
	}
	return res.RowsAffected > 0, nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
