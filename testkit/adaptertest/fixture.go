package adaptertest

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

// Demo credentials used by the HTTP fixture (and the example apps).
const (
	AliceEmail = "alice@example.com"
	BobEmail   = "bob@example.com"
	// CarolEmail signs in with short lifetimes (FixtureCarolIdle, FixtureCarolAbsolute) from
	// the fixture's LifetimePolicy; only the management tests use her.
	CarolEmail   = "carol@example.com"
	DemoPassword = "demo-password"
	// WebsiteOrigin is the allowed browser origin of the fixture engine.
	WebsiteOrigin = "http://app.ratchet.test"
	// FixtureAccessTTL and FixtureGrace are the fixture engine's settings.
	FixtureAccessTTL = 10 * time.Minute
	FixtureGrace     = 30 * time.Second
	// FixtureRoleClaim is the typed ArrayClaim the fixture registers (fetched from the
	// fixture's role map, see SetRoles); FixtureRoleMaxAge is its re-fetch age.
	FixtureRoleClaim  = "st-role"
	FixtureRoleMaxAge = time.Hour
	// FixtureCarolIdle and FixtureCarolAbsolute are carol's lifetimes (LifetimePolicy); every
	// other user gets the defaults (core.DefaultRefreshTTL, core.DefaultAbsoluteTTL).
	FixtureCarolIdle     = 30 * time.Minute
	FixtureCarolAbsolute = 2 * time.Hour
	// FixtureMaxSessions is the fixture's MaxSessionsPerUser (EvictOldest). It is far above
	// what the suite keeps live for alice, so it disturbs no subtest; the management tests
	// reach it with carol.
	FixtureMaxSessions = 50
	// FixtureRecentAuth is the fixture's RecentAuthForSessionRoutes: revoke-others and
	// DELETE /auth/sessions/{other} need a sign-in within this long (core.RequireRecentAuth).
	FixtureRecentAuth = time.Hour
	// FixtureAdminRecentAuth is the fixture's Admin.RecentAuth: destructive admin actions need
	// a sign-in within this long. The admin API is on; alice (role admin) may use it.
	FixtureAdminRecentAuth = 20 * time.Minute
)

// Fixture is an engine configured for HTTPSuite, with a fake clock. An adapter's test mounts
// the library routes and the app routes below in its framework, starts an httptest server and
// calls HTTPSuite(t, f.Target(srv.URL)).
//
// App routes every fixture server must serve (the example contract):
//   - GET  /api/me          Require  → 200 f.Me(s)
//   - GET  /api/me/strict   RequireStoreCheck → 200 f.Me(s)
//   - GET  /api/optional    Optional → 200 f.Me(s) or f.Anonymous() when there is no session
//   - GET  /api/notes       Require  → f.Notes(ctx, s)
//   - POST /api/notes       Require  → f.AddNote(ctx, s, body)
//   - POST /api/payload     Require  → f.MergePayload(ctx, s, body): re-issues the access token
//   - GET  /api/admin       Require with the validator f.AdminOnly() → 200 f.Me(s)
//
// CORS must be enabled for WebsiteOrigin (with the adapter's own CORS helper, or the
// framework's CORS middleware configured with core.CORSAllowedHeaders() and credentials).
//
// Besides the defaults, the engine has per-process signing keys (core.NewEphemeralKeyRing),
// a typed ArrayClaim FixtureRoleClaim fed from a role map the tests change with SetRoles
// (alice: admin, bob and carol: user), a LifetimePolicy giving carol short lifetimes,
// MaxSessionsPerUser FixtureMaxSessions, RecentAuthForSessionRoutes FixtureRecentAuth, and a
// RefreshAnomaly hook that answers core.AnomalyLog and records each anomaly (Anomalies).
type Fixture struct {
	Engine *core.Engine
	Clock  *core.FakeClock
	Store  core.Store

	roleClaim *core.Claim

	mu        sync.Mutex
	roles     map[string][]string
	anomalies []core.Anomaly
	events    []core.SecurityEvent

	slowGate    chan struct{} // HoldSlowSignIns
	slowEntered int
}

// NewFixture builds the fixture engine over store. It opts out of Secure cookies explicitly
// (Cookies.Insecure: the suite's Go client talks plain HTTP), so cookie names are unprefixed.
func NewFixture(store core.Store) (*Fixture, error) {
	clk := core.NewFakeClock(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC))
	f := &Fixture{Clock: clk, Store: store, roles: map[string][]string{
		"user-alice": {"admin"}, "user-bob": {"user"}, "user-carol": {"user"},
	}}
	f.roleClaim = core.ArrayClaim(FixtureRoleClaim, FixtureRoleMaxAge, func(_ context.Context, userID string) ([]string, error) {
		return f.Roles(userID), nil
	})
	// Per-process keys, chosen explicitly: core.New refuses a nil Keys over a store that could
	// share them (the GORM store), and the suite does not test key sharing.
	keys, err := core.NewEphemeralKeyRing("")
	if err != nil {
		return nil, err
	}
	e, err := core.New(core.Config{
		Store:          store,
		Keys:           keys,
		Clock:          clk,
		AccessTTL:      FixtureAccessTTL,
		RotationGrace:  FixtureGrace,
		AllowedOrigins: []string{WebsiteOrigin},
		Cookies:        core.CookieConfig{Insecure: true},
		// Bursts in the suite (32 concurrent refreshes, 60 guesses) queue for their slot on a
		// small database pool instead of being shed: shedding is core's admission test's job.
		Admission:    core.Admission{MaxWait: time.Minute, OpTimeout: time.Minute},
		Authenticate: f.authenticate,
		Claims:       []*core.Claim{f.roleClaim},
		LifetimePolicy: func(_ context.Context, userID string, _ map[string]any) (core.Lifetime, error) {
			if userID == "user-carol" {
				return core.Lifetime{Idle: FixtureCarolIdle, Absolute: FixtureCarolAbsolute}, nil
			}
			return core.Lifetime{}, nil
		},
		Admin: &core.AdminConfig{
			Allow:      f.isAdmin,
			RecentAuth: FixtureAdminRecentAuth,
			FindUsers: func(_ context.Context, q string) ([]string, error) {
				if id := userIDOf(q); id != "" {
					return []string{id}, nil
				}
				return nil, nil
			},
		},
		MaxSessionsPerUser:         FixtureMaxSessions,
		RecentAuthForSessionRoutes: FixtureRecentAuth,
		RefreshAnomaly: func(_ context.Context, a core.Anomaly) core.AnomalyAction {
			f.mu.Lock()
			f.anomalies = append(f.anomalies, a)
			f.mu.Unlock()
			return core.AnomalyLog
		},
		// Security events are recorded for assertions (Events), never logged: they would
		// drown test failures.
		OnSecurityEvent: func(_ context.Context, ev core.SecurityEvent) {
			f.mu.Lock()
			if len(f.events) < 10000 {
				f.events = append(f.events, ev)
			}
			f.mu.Unlock()
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, err
	}
	f.Engine = e
	return f, nil
}

// SetRoles replaces userID's roles in the fixture's role map, the source of the FixtureRoleClaim
// claim. Sessions see the change when the claim is next fetched (sign-in, or a refresh once the
// value is older than FixtureRoleMaxAge).
func (f *Fixture) SetRoles(userID string, roles ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.roles[userID] = slices.Clone(roles)
}

// Roles returns userID's roles from the fixture's role map.
func (f *Fixture) Roles(userID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.roles[userID])
}

// Anomalies returns the refresh anomalies the fixture's RefreshAnomaly hook saw, oldest first.
func (f *Fixture) Anomalies() []core.Anomaly {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.anomalies)
}

// Events returns the security events the engine emitted, oldest first (the first 10000).
func (f *Fixture) Events() []core.SecurityEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

// SlowEmail is an account whose password check blocks until the test releases it
// (Fixture.HoldSlowSignIns): it stands for a deliberately slow password hash, so that
// concurrency tests can hold many sign-ins inside Authenticate at once. It never signs in.
const SlowEmail = "slow@example.com"

// HoldSlowSignIns makes every sign-in of SlowEmail wait inside Authenticate until release is
// called; entered reports how many have entered Authenticate so far.
func (f *Fixture) HoldSlowSignIns() (entered func() int, release func()) {
	gate := make(chan struct{})
	f.mu.Lock()
	f.slowGate, f.slowEntered = gate, 0
	f.mu.Unlock()
	var once sync.Once
	return func() int {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.slowEntered
		}, func() {
			once.Do(func() { close(gate) })
		}
}

func (f *Fixture) authenticate(ctx context.Context, r *core.SignInRequest) (*core.Identity, error) {
	if r.Email == SlowEmail {
		f.mu.Lock()
		f.slowEntered++
		gate := f.slowGate
		f.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
			case <-ctx.Done():
			}
		}
		return nil, core.ErrWrongCredentials
	}
	return DemoAuthenticate(ctx, r)
}

// DemoAuthenticate accepts the three demo users (alice, bob, carol) with DemoPassword.
func DemoAuthenticate(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
	var id string
	switch r.Email {
	case AliceEmail:
		id = "user-alice"
	case BobEmail:
		id = "user-bob"
	case CarolEmail:
		id = "user-carol"
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

// isAdmin is the fixture's Admin.Allow: the session's FixtureRoleClaim includes "admin".
func (f *Fixture) isAdmin(_ context.Context, s *core.Session) bool {
	v, _, ok := f.roleClaim.Value(s)
	roles, _ := v.([]any)
	return ok && slices.Contains(roles, any("admin"))
}

// AdminOnly requires the typed claim FixtureRoleClaim to include "admin" (alice's roles do,
// bob's and carol's do not, until a test changes them with SetRoles). A failure answers 403
// with claimValidationErrors[0].id == FixtureRoleClaim.
func (f *Fixture) AdminOnly() core.ClaimValidator { return f.roleClaim.Includes("admin", 0) }

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
	if _, ok := in[FixtureRoleClaim]; ok {
		// The role claim comes from the server's role map only; a client must not set it.
		return 400, []byte(`{"message":"payload sets a protected claim"}`), nil
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
