package demo

import (
	"context"
	"encoding/json"
	"io"
	"strings"

	"github.com/ratchetauth/ratchet/core"
)

// ContentTypeJSON is the Content-Type of every JSON body the example routes send.
const ContentTypeJSON = "application/json; charset=utf-8"

// MaxBody caps the body of POST /api/notes.
const MaxBody = 64 << 10

// Bodies refused before they are parsed.
var (
	encodedBody  = []byte(`{"message":"Content-Encoding is not supported: send the body uncompressed"}`)
	oversized    = []byte(`{"message":"request body too large"}`)
	unreadable   = []byte(`{"message":"the request body could not be read"}`)
	badNoteInput = []byte(`{"message":"body must be {\"text\": string}"}`)
)

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

// ReadBody reads the body of a route that takes JSON, through a bound. contentEncoding holds
// the request's Content-Encoding field values and body its raw bytes, never decoded: no
// example route expects a compressed body, and inflating one without a bound lets a 1 KB
// request cost a GiB. So any encoding but identity is refused with 415, and at most
// MaxBody+1 bytes are read: a larger body is refused with 413. A read that fails (the
// server's read timeout, a client gone) is 400. On refusal, status and msg are the answer
// to send, and body is nil.
func ReadBody(contentEncoding []string, body io.Reader) (b []byte, status int, msg []byte) {
	if !Identity(contentEncoding) {
		return nil, 415, encodedBody
	}
	b, err := io.ReadAll(io.LimitReader(body, MaxBody+1))
	switch {
	case len(b) > MaxBody:
		return nil, 413, oversized
	case err != nil:
		return nil, 400, unreadable
	}
	return b, 0, nil
}

// Identity reports whether the Content-Encoding field values name no encoding but identity.
func Identity(contentEncoding []string) bool {
	for _, field := range contentEncoding {
		for _, coding := range strings.Split(field, ",") {
			if c := strings.TrimSpace(coding); c != "" && !strings.EqualFold(c, "identity") {
				return false
			}
		}
	}
	return true
}

// AddNote serves POST /api/notes: it reads {"text"} from body (through ReadBody, so an
// encoded body is 415 and an oversized one 413), appends it to the session's data in the
// store and returns the status and body to send. A malformed body is 400; an error (a dead
// session, a store failure) goes to the adapter's WriteError.
func AddNote(ctx context.Context, s *core.Session, contentEncoding []string, body io.Reader) (int, []byte, error) {
	b, status, msg := ReadBody(contentEncoding, body)
	if status != 0 {
		return status, msg, nil
	}
	var in struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(b, &in); err != nil || in.Text == nil {
		return 400, badNoteInput, nil
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
