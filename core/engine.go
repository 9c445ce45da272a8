package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Engine is the session engine. It is safe for concurrent use; build one per app with New.
type Engine struct {
	cfg   Config
	log   *slog.Logger
	cache *verifyCache

	secureCookies bool
	accessCookie  string // cookie names, prefixed when Secure
	refreshCookie string
	refreshPath   string   // {base}/session/refresh
	routes        []*route // the enabled library routes (routetable.go)
	proxies       []netip.Prefix

	logKey  []byte      // keys logDigest
	adm     *admission  // nil when Admission.Disable
	revoked revocations // recently revoked handles, refused without a store read
	pollMu  sync.Mutex
	auditW  *auditWriter // nil without an AuditLog store or with Audit.Disable
	store   Store        // Config.Store, wrapped to report to Config.Observer when there is one
	rotator Rotator      // the store's Rotator (observed likewise), nil without one
	facts   *factsCache  // what a one-statement rotation needs to know (sessionfacts.go)
	// localStore: Config.Store lives in this process (ProcessLocal), so a store call is not a
	// round trip that work could overlap.
	localStore bool
	feed       feedStats

	listenCancel context.CancelFunc // ChangeNotifier listener, when configured
	listenDone   chan struct{}
	closeOnce    sync.Once
}

// New validates cfg, applies defaults and returns an Engine.
func New(cfg Config) (*Engine, error) {
	cfg.AllowedOrigins = append([]string(nil), cfg.AllowedOrigins...)
	if err := cfg.normalise(); err != nil {
		return nil, err
	}
	if cfg.Keys == nil {
		k, err := defaultKeyRing(cfg.Store, cfg.Algorithm)
		if err != nil {
			return nil, err
		}
		cfg.Keys = k
	}
	if _, err := cfg.Keys.SigningKey(); err != nil {
		return nil, fmt.Errorf("%w: key ring has no signing key: %v", ErrConfig, err)
	}
	proxies, err := parseProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	e := &Engine{cfg: cfg, log: cfg.Logger, refreshPath: cfg.BasePath + "/session/refresh", proxies: proxies, routes: enabledRoutes(&cfg),
		logKey: randomBytes(32)}
	e.store = cfg.Store
	e.rotator, _ = cfg.Store.(Rotator)
	if cfg.Observer != nil {
		e.store = observedStore{Store: cfg.Store, obs: cfg.Observer}
		if e.rotator != nil {
			e.rotator = observedRotator{Rotator: e.rotator, obs: cfg.Observer}
		}
	}
	e.facts = newFactsCache()
	if pl, ok := cfg.Store.(ProcessLocal); ok && pl.ProcessLocal() {
		e.localStore = true
	}
	if !cfg.DisableVerifyCache {
		e.cache = newVerifyCache(cfg.VerifyCacheSize)
	}
	if !cfg.Admission.Disable {
		e.adm = &admission{slots: make(chan struct{}, cfg.Admission.MaxInFlight)}
	}
	if l, ok := cfg.Store.(AuditLog); ok && !cfg.Audit.Disable {
		if cfg.Observer != nil {
			l = observedAudit{AuditLog: l, obs: cfg.Observer}
		}
		e.auditW = newAuditWriter(l, cfg.Audit, e.log.Warn)
	}
	if b, ok := cfg.Keys.(KeyRingBinder); ok {
		if err := b.BindEngine(EngineBinding{AccessTTL: cfg.AccessTTL, ClockSkew: cfg.ClockSkew, FlushVerifyCache: e.FlushVerifyCache,
			Emit: func(ev SecurityEvent) { e.emit(context.Background(), ev) }}); err != nil {
			if e.auditW != nil {
				e.auditW.close()
			}
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
	}
	// Only the explicit opt-out drops Secure: an http APIOrigin alone never does, because the
	// API may sit behind a TLS-terminating proxy, and browsers accept Secure cookies from
	// http://localhost and 127.0.0.1 anyway.
	e.secureCookies = !cfg.Cookies.Insecure
	if cfg.Cookies.Insecure {
		e.log.Warn("ratchet: Cookies.Insecure is set: token cookies lose Secure and their __Host-/__Secure- prefixes; use it only for plain-HTTP development on a non-localhost name")
	}
	e.accessCookie, e.refreshCookie = "sAccessToken", "sRefreshToken"
	if e.secureCookies {
		e.accessCookie = "__Host-sAccessToken"
		if cfg.Cookies.Domain != "" {
			e.accessCookie = "__Secure-sAccessToken"
		}
		e.refreshCookie = "__Secure-sRefreshToken"
	}
	if _, ok := cfg.Store.(RevocationFeed); ok && cfg.RevocationPollInterval > 0 {
		if err := e.pollRevocations(context.Background()); err != nil {
			e.log.Warn("ratchet: initial revocation poll failed", "err", err)
		}
		e.startPoller(cfg.RevocationPollInterval)
	}
	if cfg.ChangeNotifier != nil {
		e.startListener(cfg.ChangeNotifier)
	}
	return e, nil
}

// Config returns a copy of the effective configuration, defaults applied. Changing the copy
// (its slices and claims included) never changes the engine; the Store, Keys, Limiter and
// hook values are the ones the engine uses.
func (e *Engine) Config() Config {
	c := e.cfg
	c.AllowedOrigins = slices.Clone(c.AllowedOrigins)
	c.TrustedProxies = slices.Clone(c.TrustedProxies)
	c.Claims = make([]*Claim, len(e.cfg.Claims))
	for i, cl := range e.cfg.Claims {
		cp := *cl
		c.Claims[i] = &cp
	}
	return c
}

// TokenHeaderBudget is Config.TokenHeaderBudget as applied: adapters check their framework's
// header limit against it plus TokenHeaderHeadroom.
func (e *Engine) TokenHeaderBudget() int { return e.cfg.TokenHeaderBudget }

// FlushVerifyCache forgets every cached verification. Key rings call it when a key is revoked.
func (e *Engine) FlushVerifyCache() {
	if e.cache != nil {
		e.cache.flush()
	}
}

// CreateOptions describes a new session.
type CreateOptions struct {
	Payload   map[string]any // custom access-token claims; protected names are refused
	Data      map[string]any // server-side session data
	IP        string
	UserAgent string
}

// Tokens is what a create or refresh hands to the client.
type Tokens struct {
	UserID, Handle string
	AccessToken    string
	AccessExpiry   time.Time
	RefreshToken   string
	RefreshExpiry  time.Time
	FrontToken     string
	claims         *verified
}

// IssueTokens creates a session for userID and returns its first tokens. Most apps call
// CreateSession (which also writes the tokens to the response) instead.
func (e *Engine) IssueTokens(ctx context.Context, userID string, opts CreateOptions) (t *Tokens, err error) {
	ctx, end := e.startOp(ctx, OpIssueTokens)
	defer func() { end(err) }()
	return e.issueTokens(ctx, userID, opts)
}

func (e *Engine) issueTokens(ctx context.Context, userID string, opts CreateOptions) (*Tokens, error) {
	if !validUserID(userID) {
		return nil, fmt.Errorf("ratchet: user id must be non-empty UTF-8 without control characters, at most %d bytes", maxUserIDBytes)
	}
	if err := checkCustomPayload(opts.Payload); err != nil {
		return nil, err
	}
	if len(e.cfg.Claims) > 0 {
		upd, err := e.fetchClaims(ctx, userID, nil, true)
		if err != nil {
			return nil, err
		}
		merged := maps.Clone(opts.Payload)
		if merged == nil {
			merged = map[string]any{}
		}
		maps.Copy(merged, upd)
		opts.Payload = merged
	}
	payload, err := encodeObject(opts.Payload)
	if err != nil {
		return nil, fmt.Errorf("ratchet: payload: %w", err)
	}
	data, err := encodeObject(opts.Data)
	if err != nil {
		return nil, fmt.Errorf("ratchet: data: %w", err)
	}
	if err := e.checkDataSize(data); err != nil {
		return nil, err
	}
	if err := e.enforceSessionLimit(ctx, userID); err != nil {
		return nil, err
	}
	life, err := e.lifetimeFor(ctx, userID, opts.Payload)
	if err != nil {
		return nil, err
	}
	now := e.cfg.Clock.Now()
	secret := randomBytes(secretBytes)
	handle := newHandle()
	rt := newRootToken(secret, handle)
	rec := &Record{
		Handle: handle, UserID: userID, Secret: secret,
		CurrentHash: hash2(rt.String()),
		CreatedAt:   now, RotatedAt: now, LastActiveAt: now,
		IdleTimeout: life.Idle, AbsoluteExpiresAt: now.Add(life.Absolute), Version: 1,
		Data: data, Payload: payload, IP: cleanClientString(opts.IP, maxIPBytes), UserAgent: cleanClientString(opts.UserAgent, maxUserAgentBytes),
	}
	rec.ExpiresAt = e.idleExpiry(rec, now)
	t, err := e.tokensFor(rec, &rt, now) // before the insert: an unsignable session is never stored
	if err != nil {
		return nil, err
	}
	if err := e.store.Create(ctx, rec); err != nil {
		return nil, storeErr("create", err)
	}
	e.facts.remember(rec)
	return t, nil
}

// idleExpiry is now plus the session's idle timeout, never past its absolute expiry.
func (e *Engine) idleExpiry(rec *Record, now time.Time) time.Time {
	idle := now.Add(cmpOr(rec.IdleTimeout, e.cfg.RefreshTTL))
	if abs := e.absoluteExpiry(rec); abs.Before(idle) {
		return abs
	}
	return idle
}

// absoluteExpiry is the session's hard deadline.
func (e *Engine) absoluteExpiry(rec *Record) time.Time {
	if !rec.AbsoluteExpiresAt.IsZero() {
		return rec.AbsoluteExpiresAt
	}
	return rec.CreatedAt.Add(e.cfg.AbsoluteTTL)
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// tokensFor signs an access token for rec's lineage position rt.
func (e *Engine) tokensFor(rec *Record, rt *refreshToken, now time.Time) (*Tokens, error) {
	custom, err := decodeObject(rec.Payload)
	if err != nil {
		return nil, fmt.Errorf("ratchet: stored payload of %s is corrupt: %w", rec.Handle, err)
	}
	rts := rt.String()
	at, v, err := e.signAccess(rec.UserID, rec.Handle, hash1(rts), rec.CreatedAt, custom, now)
	if err != nil {
		return nil, err
	}
	return &Tokens{
		UserID: rec.UserID, Handle: rec.Handle,
		AccessToken: at, AccessExpiry: v.expiry,
		RefreshToken: rts, RefreshExpiry: rec.ExpiresAt,
		FrontToken: frontToken(v), claims: v,
	}, nil
}

// RevokeSession revokes one session. It reports false if the session was already revoked or
// does not exist.
func (e *Engine) RevokeSession(ctx context.Context, handle string) (bool, error) {
	if !ValidHandle(handle) {
		return false, nil
	}
	ctx, release, err := e.admit(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	ok, err := e.store.Update(ctx, handle, Cond{}, Change{Revoke: true})
	if err != nil {
		return false, storeErr("revoke", err)
	}
	e.noteRevoked(handle)
	return ok, nil
}

// RevokeAllForUser revokes every session of the user and returns their handles. Use it when
// an account is disabled or its password changes.
func (e *Engine) RevokeAllForUser(ctx context.Context, userID string) ([]string, error) {
	return e.revokeByUser(ctx, userID, "", "all sessions of the user revoked")
}

// RevokeOtherSessions revokes every session of the user except keep.
func (e *Engine) RevokeOtherSessions(ctx context.Context, userID, keep string) ([]string, error) {
	return e.revokeByUser(ctx, userID, keep, "other sessions of the user revoked")
}

func (e *Engine) revokeByUser(ctx context.Context, userID, keep, reason string) ([]string, error) {
	ctx, release, err := e.admit(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	hs, err := e.store.RevokeByUser(ctx, userID, keep)
	if err != nil {
		return nil, storeErr("revoke by user", err)
	}
	e.noteRevoked(hs...)
	for _, h := range hs {
		e.emit(ctx, SecurityEvent{Type: EventRevoked, Time: e.cfg.Clock.Now(), UserID: userID, Handle: h, Reason: reason})
	}
	return hs, nil
}

// RevokeAllSessions revokes every session of every user, for incident response. The store
// must implement AllRevoker.
func (e *Engine) RevokeAllSessions(ctx context.Context) (int64, error) {
	r, ok := e.cfg.Store.(AllRevoker)
	if !ok {
		return 0, errors.New("ratchet: store does not implement AllRevoker")
	}
	octx, end := e.startOp(ctx, OpStoreRevokeAll)
	n, err := r.RevokeAll(octx)
	end(err)
	if err != nil {
		return 0, storeErr("revoke all", err)
	}
	e.emit(ctx, SecurityEvent{Type: EventRevoked, Time: e.cfg.Clock.Now(), Reason: fmt.Sprintf("every session revoked (%d)", n)})
	if err := e.pollRevocations(ctx); err != nil {
		e.log.WarnContext(ctx, "ratchet: revocation feed unavailable after RevokeAllSessions", "err", err)
	}
	return n, nil
}

// SessionInfo is the public view of a session: never a token or a token hash.
type SessionInfo struct {
	Handle            string    `json:"sessionHandle"`
	UserID            string    `json:"userId"`
	CreatedAt         time.Time `json:"createdAt"`
	LastActiveAt      time.Time `json:"lastActiveAt"`
	ExpiresAt         time.Time `json:"expiresAt"`
	AbsoluteExpiresAt time.Time `json:"absoluteExpiresAt"`
	IP                string    `json:"ip"`
	UserAgent         string    `json:"userAgent"`
	Device            string    `json:"device"` // DeviceLabel(UserAgent)
	// Data and Payload are the session's data and custom claims. SessionInfo and
	// MergePayload fill them; ListSessions leaves them nil (it does not read them).
	Data    map[string]any `json:"-"`
	Payload map[string]any `json:"-"`
}

// info is the public view of rec; withContent also decodes its data and payload, which
// listing never does (a list's cost must not grow with what the sessions store).
func (e *Engine) info(rec *Record, withContent bool) SessionInfo {
	in := SessionInfo{
		Handle: rec.Handle, UserID: rec.UserID, CreatedAt: rec.CreatedAt, LastActiveAt: rec.LastActiveAt,
		ExpiresAt: rec.ExpiresAt, AbsoluteExpiresAt: e.absoluteExpiry(rec),
		IP: rec.IP, UserAgent: rec.UserAgent, Device: DeviceLabel(rec.UserAgent),
	}
	if withContent {
		in.Data, _ = decodeObject(rec.Data)
		in.Payload, _ = decodeObject(rec.Payload)
	}
	return in
}

// ListSessions returns the user's live sessions, newest first.
func (e *Engine) ListSessions(ctx context.Context, userID string) ([]SessionInfo, error) {
	ctx, release, err := e.admit(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	recs, err := e.store.ListByUser(ctx, userID, e.cfg.Clock.Now())
	if err != nil {
		return nil, storeErr("list", err)
	}
	out := make([]SessionInfo, 0, len(recs))
	for _, r := range recs {
		out = append(out, e.info(r, false))
	}
	return out, nil
}

// SessionInfo returns a live session by handle, or an error matching ErrNotFound.
func (e *Engine) SessionInfo(ctx context.Context, handle string) (*SessionInfo, error) {
	ctx, release, err := e.admit(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	rec, err := e.liveRecord(ctx, handle)
	if err != nil {
		return nil, err
	}
	info := e.info(rec, true)
	return &info, nil
}

// liveRecord loads a record and requires it to be live; a dead or missing one is ErrNotFound.
func (e *Engine) liveRecord(ctx context.Context, handle string) (*Record, error) {
	if !ValidHandle(handle) {
		return nil, ErrNotFound
	}
	rec, err := e.store.Get(ctx, handle)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, storeErr("get", err)
	}
	if !rec.Live(e.cfg.Clock.Now()) {
		return nil, ErrNotFound
	}
	return rec, nil
}

// DeleteExpired purges dead sessions if the store supports it (ExpiredDeleter), and security
// events older than Config.Audit.Retention if the engine writes an audit log (a failure there
// is logged, not returned). It returns how many sessions it deleted.
func (e *Engine) DeleteExpired(ctx context.Context) (int64, error) {
	if e.auditW != nil {
		if _, err := e.PruneSecurityEvents(ctx); err != nil {
			e.log.WarnContext(ctx, "ratchet: pruning the audit log failed", "err", err)
		}
	}
	d, ok := e.cfg.Store.(ExpiredDeleter)
	if !ok {
		return 0, errors.New("ratchet: store does not implement ExpiredDeleter")
	}
	ctx, end := e.startOp(ctx, OpStoreExpire)
	n, err := d.DeleteExpired(ctx, e.cfg.Clock.Now())
	end(err)
	return n, storeErr("delete expired", err)
}

func encodeObject(m map[string]any) ([]byte, error) {
	if m == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(m)
}

func decodeObject(b []byte) (map[string]any, error) {
	m := map[string]any{}
	if len(b) == 0 {
		return m, nil
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}
