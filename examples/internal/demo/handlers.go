package demo

import (
	"context"
	_ "embed"
	"encoding/json"

	"github.com/ratchetauth/ratchet/core"
)

// Page is the demo page served at "/".
//
//go:embed index.html
var Page []byte

// Me is the body of /api/me and /api/me/strict.
func Me(s *core.Session) []byte {
	return mustJSON(map[string]string{"userId": s.UserID(), "sessionHandle": s.Handle()})
}

// Notes returns the body of GET /api/notes; errors go to the adapter's WriteError.
func Notes(ctx context.Context, s *core.Session) ([]byte, error) {
	d, err := s.Data(ctx)
	if err != nil {
		return nil, err
	}
	return mustJSON(map[string]any{"notes": notesOf(d)}), nil
}

// AddNote appends {"text"} from body to the session data. A bad body is (400, message).
func AddNote(ctx context.Context, s *core.Session, body []byte) (int, []byte, error) {
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
	if n == nil {
		n = []any{}
	}
	return n
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
