package sessiontest

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

// Demo credentials used by the HTTP fixture (and the example apps).
const (
	AliceEmail   = "alice@example.com"
	BobEmail     = "bob@example.com"
	DemoPassword = "demo-password"
	// WebsiteOrigin is the allowed browser origin of the fixture engine.
	WebsiteOrigin = "http://app.ratchet.test"
	// FixtureAccessTTL and FixtureGrace are the fixture engine's settings.
	FixtureAccessTTL = 10 * time.Minute
	FixtureGrace     = 30 * time.Second
)

// Fixture is an engine configured for HTTPSuite, with a fake clock. An adapter's test mounts
// the library routes and the app routes below in its framework, starts an httptest server and
// calls HTTPSuite(t, f.Target(srv.URL)).
//
// App routes every fixture server must serve (the example contract):
//   - GET  /api/me          Require  → 200 f.Me(s)
//   - GET  /api/me/strict   Strict   → 200 f.Me(s)
//   - GET  /api/optional    Optional → 200 f.Me(s) or f.Anonymous() when there is no session
//   - GET  /api/notes       Require  → f.Notes(ctx, s)
//   - POST /api/notes       Require  → f.AddNote(ctx, s, body)
//   - POST /api/payload     Require  → f.MergePayload(ctx, s, body): re-issues the access token
//   - GET  /api/admin       Require with the validator f.AdminOnly() → 200 f.Me(s)
//
// CORS must be enabled for WebsiteOrigin (with the adapter's own CORS helper, or the
// framework's CORS middleware configured with core.CORSAllowedHeaders and credentials).
type Fixture struct {
	Engine *core.Engine
	Clock  *core.FakeClock
	Store  core.Store
}

// NewFixture builds the fixture engine over store. Cookies are not Secure (the test server is
// plain HTTP), so cookie names are unprefixed.
func NewFixture(store core.Store) (*Fixture, error) {
	clk := core.NewFakeClock(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC))
	e, err := core.New(core.Config{
		Store:          store,
		Clock:          clk,
		AccessTTL:      FixtureAccessTTL,
		RotationGrace:  FixtureGrace,
		AllowedOrigins: []string{WebsiteOrigin},
		Cookies:        core.CookieConfig{Insecure: true},
		Authenticate:   DemoAuthenticate,
		// Security events would drown test failures; tests that need them set their own hooks.
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, err
	}
	return &Fixture{Engine: e, Clock: clk, Store: store}, nil
}

// DemoAuthenticate accepts the two demo users with DemoPassword.
func DemoAuthenticate(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
	var id string
	switch r.Email {
	case AliceEmail:
		id = "user-alice"
	case BobEmail:
		id = "user-bob"
	}
	if id == "" || r.Password != DemoPassword {
		return nil, core.ErrWrongCredentials
	}
	return &core.Identity{UserID: id, User: map[string]string{"id": id, "email": r.Email},
		Payload: map[string]any{"role": roleOf(id)}}, nil
}

func roleOf(id string) string {
	if id == "user-alice" {
		return "admin"
	}
	return "user"
}

// AdminOnly requires the custom claim role == "admin" (alice has it, bob does not).
func (f *Fixture) AdminOnly() core.ClaimValidator { return core.HasClaim("role", "admin") }

// Me is the body of /api/me: {"userId","sessionHandle"}.
func (f *Fixture) Me(s *core.Session) []byte {
	return jsonBytes(map[string]any{"userId": s.UserID(), "sessionHandle": s.Handle()})
}

// Anonymous is the body of /api/optional without a session.
func (f *Fixture) Anonymous() []byte { return []byte(`{"userId":null}`) }

// Notes returns the status and body of GET /api/notes. A non-nil error must be written with
// the adapter's WriteError (it maps a revoked session to 401 and clears tokens).
func (f *Fixture) Notes(ctx context.Context, s *core.Session) (int, []byte, error) {
	d, err := s.Data(ctx)
	if err != nil {
		return 0, nil, err
	}
	return 200, jsonBytes(map[string]any{"notes": notesOf(d)}), nil
}

// AddNote handles POST /api/notes with body {"text"}: it appends to the session data.
func (f *Fixture) AddNote(ctx context.Context, s *core.Session, body []byte) (int, []byte, error) {
	var in struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Text == nil {
		return 400, []byte(`{"message":"body must be {\"text\":string}"}`), nil
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
	return 200, jsonBytes(map[string]any{"notes": notes}), nil
}

// MergePayload handles POST /api/payload with a JSON object body: it merges the object into
// the access-token payload, which re-issues the token on the response.
func (f *Fixture) MergePayload(ctx context.Context, s *core.Session, body []byte) (int, []byte, error) {
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil || in == nil {
		return 400, []byte(`{"message":"body must be a JSON object"}`), nil
	}
	if err := s.MergePayload(ctx, in); err != nil {
		if errors.Is(err, core.ErrProtectedClaim) {
			return 400, []byte(`{"message":"payload sets a protected claim"}`), nil
		}
		return 0, nil, err
	}
	return 200, jsonBytes(s.Payload()), nil
}

// notesOf returns the session's notes, never nil, so the body is {"notes":[]} and not null.
func notesOf(d map[string]any) []any {
	n, _ := d["notes"].([]any)
	if n == nil {
		n = []any{}
	}
	return n
}

func jsonBytes(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// Target is a running fixture server for HTTPSuite.
type Target struct {
	// URL is the server's base URL, e.g. an httptest.Server's URL (no trailing slash).
	URL string
	// Fixture is the engine the server runs; the suite moves its clock and inspects its store.
	Fixture *Fixture
}

// Target describes the server at url that runs this fixture.
func (f *Fixture) Target(url string) Target { return Target{URL: url, Fixture: f} }
