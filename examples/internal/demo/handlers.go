package demo

import (
	"context"
	"encoding/json"
	"io"

	"github.com/ratchetauth/ratchet/core"
)

// ContentTypeJSON is the Content-Type of every JSON body the example routes send.
const ContentTypeJSON = "application/json; charset=utf-8"

// MaxBody caps the body of POST /api/notes.
const MaxBody = 64 << 10

// Me is the body of GET /api/me and /api/me/strict.
func Me(s *core.Session) []byte {
	return mustJSON(map[string]string{"userId": s.UserID(), "sessionHandle": s.Handle()})
}

// Notes returns the body of GET /api/notes. An error goes to the adapter's WriteError.
func Notes(ctx context.Context, s *core.Session) ([]byte, error) {
	d, err := s.Data(ctx)
	if err != nil {
		return nil, err
	}
	return mustJSON(map[string]any{"notes": notesOf(d)}), nil
}

// ReadBody reads at most MaxBody+1 bytes of r, enough for AddNote to tell an oversized body.
func ReadBody(r io.Reader) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, MaxBody+1))
	return b
}

// AddNote serves POST /api/notes: it appends {"text"} from body to the session's data in the
// store and returns the status and body to send. A bad body is 400 (413 when too large); an
// error (a dead session, a store failure) goes to the adapter's WriteError.
func AddNote(ctx context.Context, s *core.Session, body []byte) (int, []byte, error) {
	if len(body) > MaxBody {
		return 413, []byte(`{"message":"request body too large"}`), nil
	}
	var in struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Text == nil {
		return 400, []byte(`{"message":"body must be {\"text\": string}"}`), nil
	}
	var notes []any
	err := s.UpdateData(ctx, func(d map[string]any) error {
		notes = append(notesOf(d), *in.Text)
		d["notes"] = notes
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return 200, mustJSON(map[string]any{"notes": notes}), nil
}

func notesOf(d map[string]any) []any {
	n, _ := d["notes"].([]any)
	out := make([]any, 0, len(n)+1)
	return append(out, n...)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
