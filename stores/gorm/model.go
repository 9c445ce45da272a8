package gormstore

import (
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/ratchetauth/ratchet/core"
)

// key is a short identifier (handle, user id, token hash) that must compare byte for byte.
// PostgreSQL and SQLite compare text exactly; on MySQL/MariaDB the default collations are
// case-insensitive and pad spaces, so the column is VARBINARY there.
type key string

// GormDBDataType picks the column type per dialect; "" keeps the dialect's default.
func (key) GormDBDataType(db *gorm.DB, f *schema.Field) string {
	if db.Dialector.Name() == dialectMySQL {
		return fmt.Sprintf("varbinary(%d)", f.Size)
	}
	return ""
}

// jsonText holds a JSON document as text: TEXT on PostgreSQL and SQLite, LONGTEXT on MySQL
// (whose TEXT stops at 64 KiB). It is declared explicitly so that a DefaultStringSize in the
// app's dialector config cannot turn it into a short VARCHAR.
type jsonText string

// GormDBDataType picks the column type per dialect.
func (jsonText) GormDBDataType(db *gorm.DB, _ *schema.Field) string {
	if db.Dialector.Name() == dialectMySQL {
		return "longtext"
	}
	return "text"
}

// sessionRow is the sessions table. Column names are explicit so that an app's NamingStrategy
// cannot rename them; the queries in store.go use these names verbatim.
//
// Timestamps carry precision:6 (DATETIME(6) on MySQL; timestamptz is microseconds anyway) and
// size:64, which is what GORM's PostgreSQL migrator reads back for an 8-byte timestamptz:
// without it, every AutoMigrate would ALTER the timestamp columns again.
type sessionRow struct {
	Handle       key       `gorm:"column:handle;primaryKey;size:64;not null;index:,composite:revoked_at,priority:2"`
	UserID       key       `gorm:"column:user_id;size:255;not null;index"`
	Secret       []byte    `gorm:"column:secret"`
	CurrentHash  key       `gorm:"column:current_hash;size:128;not null"`
	PreviousHash key       `gorm:"column:previous_hash;size:128;not null"`
	RotatedAt    time.Time `gorm:"column:rotated_at;not null;precision:6;size:64"`
	CreatedAt    time.Time `gorm:"column:created_at;not null;precision:6;size:64;autoCreateTime:false"`
	ExpiresAt    time.Time `gorm:"column:expires_at;not null;precision:6;size:64;index"`
	LastActiveAt time.Time `gorm:"column:last_active_at;not null;precision:6;size:64"`
	Revoked      bool      `gorm:"column:revoked;not null"`
	Version      int64     `gorm:"column:version;not null"`
	// WriteSeq is bumped by every UPDATE, so a matched row is always a changed row. MySQL
	// reports changed (not matched) rows by default; without the bump, an update that happens to
	// write identical values would report 0 rows and look like a failed condition.
	WriteSeq  int64     `gorm:"column:write_seq;not null"`
	Data      *jsonText `gorm:"column:data"`
	Payload   *jsonText `gorm:"column:payload"`
	IP        string    `gorm:"column:ip;size:64;not null"`
	UserAgent string    `gorm:"column:user_agent;size:512;not null"`

	// The columns below were added by schema version 2 (migrations/*/0002_*.sql), which
	// appends them to existing tables; they stay last so that a table built by AutoMigrate
	// and one built by the SQL files have the same column order.

	// IdleTimeoutMS is Record.IdleTimeout in milliseconds; 0 (the default of rows written
	// before version 2) means the engine's configured idle timeout.
	IdleTimeoutMS int64 `gorm:"column:idle_timeout_ms;not null;default:0"`
	// AbsoluteExpiresAt is Record.AbsoluteExpiresAt; NULL for the zero time (the engine's
	// configured absolute lifetime).
	AbsoluteExpiresAt *time.Time `gorm:"column:absolute_expires_at;precision:6;size:64"`
	// RevokedAt is when the row was revoked, by the revoking store's clock; NULL while the row
	// is live (and on rows revoked before version 2). The revocation feed reads it through the
	// (revoked_at, handle) index, in that order; handle breaks ties so that a page boundary
	// inside a group of equal timestamps (RevokeAll) is still a precise position.
	RevokedAt *time.Time `gorm:"column:revoked_at;precision:6;size:64;index:,composite:revoked_at,priority:1"`

	// History was added by schema version 3 (migrations/*/0003_*.sql): Record.History, the
	// older superseded tokens of the lineage in the engine's ASCII encoding (at most about
	// 700 bytes; docs/ROTATION.md, R8). Empty on rows written before version 3.
	History string `gorm:"column:history;size:1024;not null;default:''"`
}

// signingKeyRow is the signing-keys table of the shared key ring (see DESIGN.md, "Signing
// keys"). The store creates it; the key ring that reads and writes it lives elsewhere.
type signingKeyRow struct {
	KID       key    `gorm:"column:kid;primaryKey;size:64;not null"`
	Algorithm string `gorm:"column:algorithm;size:16;not null"`
	PublicKey []byte `gorm:"column:public_key;not null"`
	// PrivateKeyEnc is the private key encrypted under the key-encryption key; never plaintext.
	PrivateKeyEnc []byte    `gorm:"column:private_key_enc;not null"`
	CreatedAt     time.Time `gorm:"column:created_at;not null;precision:6;size:64;autoCreateTime:false"`
	// NotBefore: the key may sign from this time on (published in JWKS before that).
	NotBefore time.Time `gorm:"column:not_before;not null;precision:6;size:64"`
	// RetireAt: the key stops signing at this time, but stays published while tokens it
	// signed can still be valid.
	RetireAt time.Time `gorm:"column:retire_at;not null;precision:6;size:64"`
	Revoked  bool      `gorm:"column:revoked;not null"`
}

// dbTime is how every timestamp is written and compared: UTC, truncated to microseconds (the
// precision of timestamptz and DATETIME(6)). On SQLite, where times are text, a single UTC
// offset is what makes the text order equal the time order.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func optJSON(b []byte) *jsonText {
	if b == nil {
		return nil
	}
	s := jsonText(b)
	return &s
}

func fromOptJSON(p *jsonText) []byte {
	if p == nil {
		return nil
	}
	return []byte(*p)
}

// optTime maps the zero time to NULL.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := dbTime(t)
	return &u
}

func fromOptTime(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.UTC()
}

// toRow maps a record onto a row. now is the store's clock, the revocation time of a record
// created already revoked.
func toRow(r *core.Record, now time.Time) *sessionRow {
	var revokedAt *time.Time
	if r.Revoked {
		revokedAt = optTime(now)
	}
	return &sessionRow{
		Handle: key(r.Handle), UserID: key(r.UserID), Secret: slices.Clone(r.Secret),
		CurrentHash: key(r.CurrentHash), PreviousHash: key(r.PreviousHash),
		RotatedAt: dbTime(r.RotatedAt), History: r.History, CreatedAt: dbTime(r.CreatedAt),
		ExpiresAt: dbTime(r.ExpiresAt), LastActiveAt: dbTime(r.LastActiveAt),
		Revoked: r.Revoked, Version: r.Version,
		Data: optJSON(r.Data), Payload: optJSON(r.Payload), IP: r.IP, UserAgent: r.UserAgent,
		IdleTimeoutMS: r.IdleTimeout.Milliseconds(), AbsoluteExpiresAt: optTime(r.AbsoluteExpiresAt),
		RevokedAt: revokedAt,
	}
}

func (s *sessionRow) record() *core.Record {
	return &core.Record{
		Handle: string(s.Handle), UserID: string(s.UserID), Secret: s.Secret,
		CurrentHash: string(s.CurrentHash), PreviousHash: string(s.PreviousHash),
		RotatedAt: s.RotatedAt.UTC(), History: s.History, CreatedAt: s.CreatedAt.UTC(),
		ExpiresAt: s.ExpiresAt.UTC(), LastActiveAt: s.LastActiveAt.UTC(),
		Revoked: s.Revoked, Version: s.Version,
		Data: fromOptJSON(s.Data), Payload: fromOptJSON(s.Payload), IP: s.IP, UserAgent: s.UserAgent,
		IdleTimeout:       time.Duration(s.IdleTimeoutMS) * time.Millisecond,
		AbsoluteExpiresAt: fromOptTime(s.AbsoluteExpiresAt),
	}
}
