package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults applied by New to zero-valued Config fields.
const (
	DefaultAccessTTL     = 15 * time.Minute
	DefaultRefreshTTL    = 30 * 24 * time.Hour
	DefaultAbsoluteTTL   = 90 * 24 * time.Hour
	DefaultRotationGrace = 45 * time.Second
	DefaultBasePath      = "/auth"
	DefaultAlgorithm     = AlgEdDSA
	DefaultCacheSize     = 10000
	DefaultMaxBodyBytes  = 64 << 10
	// DefaultMaxSessionDataBytes is the default of Config.MaxSessionDataBytes.
	DefaultMaxSessionDataBytes = 64 << 10
	minTokenHeaderBudget       = 2048
	maxRotationGrace           = 5 * time.Minute
	maxClockSkew               = 5 * time.Minute
)

// CSRFMode selects the anti-CSRF protection for cookie-authenticated requests.
type CSRFMode int

const (
	// CSRFCustomHeader (the default) requires the `rid` header on every non-GET request that is
	// authenticated by cookie, and checks Origin / Sec-Fetch-Site against AllowedOrigins.
	CSRFCustomHeader CSRFMode = iota
	// CSRFNone disables both checks. Only for APIs that never use cookie transfer.
	CSRFNone
)

// CookieConfig controls the two token cookies.
type CookieConfig struct {
	// SameSite defaults to http.SameSiteLaxMode. SameSiteNoneMode requires Secure cookies.
	SameSite http.SameSite
	// Domain, if set, is sent as the Domain attribute. Empty (the default) means host-only.
	Domain string
	// Insecure drops the Secure attribute and the __Host-/__Secure- name prefixes, and New logs
	// a warning. It is the only way to get cookies without Secure (an http APIOrigin does not
	// downgrade them: browsers accept Secure cookies from http://localhost and 127.0.0.1), an
	// explicit opt-out for plain-HTTP development on other host names. New refuses it when
	// APIOrigin is https.
	Insecure bool
}

// Routes switches off individual library routes; all are mounted by default.
type Routes struct {
	DisableSignIn, DisableRefresh, DisableSignOut, DisableSessions, DisableJWKS bool
}

// Config configures an Engine. Its zero value, plus a Store, is a safe configuration.
type Config struct {
	// Store persists sessions. Required.
	Store Store
	// Keys signs and verifies access tokens. In production it is the ring every instance
	// shares: NewStoreKeyRing over the store, with a KEK from KEKFromEnv (docs/KEYS.md), or a
	// NewStaticKeyRing of keys every instance loads.
	//
	// Nil means the default: a per-process in-memory ring with one fresh key of Algorithm,
	// whose tokens do not survive a restart and are refused by every other instance. New
	// uses it only where that is all the store allows or all the app can have: over a
	// ProcessLocal store (stores/memory), or a store that cannot keep keys (no KeyStore).
	// Over a KeyStore that is not ProcessLocal, such as the GORM store, New refuses a nil
	// Keys with ErrConfig rather than split a deployment into instances that refuse each
	// other's tokens; NewEphemeralKeyRing is the explicit opt-out there, for tests and
	// single-process development.
	Keys KeyRing
	// Algorithm for the default key ring: AlgEdDSA (default), AlgES256 or AlgRS256.
	Algorithm string

	AccessTTL     time.Duration // access-token lifetime; default 15 min
	RefreshTTL    time.Duration // idle timeout of a session; default 30 days
	AbsoluteTTL   time.Duration // absolute session lifetime; default 90 days
	RotationGrace time.Duration // refresh-token reuse window; default 45 s, at most 5 min
	// ClockSkew is the leeway allowed when checking exp, nbf and iat. Default 0, at most 5 min.
	ClockSkew time.Duration

	// APIOrigin is the API's own origin, e.g. "https://api.example.com". Optional; it decides
	// the default issuer and forbids Insecure cookies when https.
	APIOrigin string
	// Issuer is the access token's iss. Default APIOrigin+BasePath, or "ratchet".
	Issuer string
	// Audience, if set, is put in every access token's aud claim and required on verification
	// (RFC 8725 §3.9). Off by default for SuperTokens v5 token compatibility.
	Audience string
	// BasePath of the library routes; default "/auth".
	BasePath string
	// AllowedOrigins are the website origins allowed to call the API with credentials, exactly
	// as browsers send them ("https://app.example.com"). Empty means same-origin only.
	AllowedOrigins []string

	// ClearSiteData, if set, is sent as the Clear-Site-Data header on sign-out, e.g.
	// `"cache", "storage"`. Off by default: `"cookies"` would also wipe the app's own cookies.
	ClearSiteData string
	// RecentAuthForSessionRoutes, if positive, makes DELETE {base}/sessions/{other} and
	// POST {base}/sessions/revoke-others require a sign-in within that long (S-61); a stale one
	// gets 403 invalid claim "auth_time". Signing out the current session never requires it.
	RecentAuthForSessionRoutes time.Duration

	Cookies  CookieConfig
	AntiCSRF CSRFMode
	Routes   Routes

	// Authenticate checks sign-in credentials for POST {base}/signin. Return ErrWrongCredentials
	// for a failed sign-in. Without it the sign-in route answers 404.
	Authenticate func(ctx context.Context, req *SignInRequest) (*Identity, error)

	// ErrorHandler, if set, sees every error answer the library writes (a failed middleware
	// check, a library route's error, 404 and 405 under BasePath, WriteError) after the
	// protocol's own effects are applied (tokens cleared, Retry-After set), and may change its
	// status, content type and body, or set headers through resp: for example redirect a
	// browser navigation to the login page on 401, or wrap the body in the app's own error
	// shape. Leave the answers to SDK requests alone (they carry an rid or st-auth-mode header,
	// or an anti-csrf header): the SDK refreshes on 401 {"message":"try refresh token"} and
	// signs out on 401 unauthorised, and reads nothing else. req is nil only when the app
	// called WriteError without one.
	ErrorHandler func(ctx context.Context, req Request, resp Response, r *ErrorResponse)

	// OnTokenTheft is called after a session was revoked for refresh-token reuse.
	OnTokenTheft func(ctx context.Context, ev SecurityEvent)
	// OnSecurityEvent receives every security event (theft, forged tokens, CSRF failures,
	// sign-in, sign-out, revocation). It must not block.
	OnSecurityEvent func(ctx context.Context, ev SecurityEvent)

	// LifetimePolicy, if set, picks each new session's idle timeout and absolute lifetime,
	// for example 8 h absolute for admins and the defaults for everyone else.
	LifetimePolicy func(ctx context.Context, userID string, payload map[string]any) (Lifetime, error)

	// MaxSessionsPerUser caps a user's live sessions (0: no cap). SessionLimit picks what
	// happens at the cap: evict the oldest (default) or refuse the new sign-in.
	MaxSessionsPerUser int
	SessionLimit       SessionLimitAction
	// RefreshAnomaly, if set, is asked about every refresh whose IP or User-Agent differs
	// from the sign-in's. Off by default.
	RefreshAnomaly func(ctx context.Context, a Anomaly) AnomalyAction

	// RevocationPollInterval: how often the engine reads the store's RevocationFeed, which
	// bounds how long another instance accepts a revoked session's access tokens on routes
	// without CheckDatabase. Default 2 s; negative disables polling.
	RevocationPollInterval time.Duration

	// ChangeNotifier, if set, pushes other instances' revocations and key changes to this
	// engine as they are committed (PostgreSQL: stores/gorm/pglisten), so they take effect in
	// milliseconds instead of at the next poll. Polling stays on as the fallback.
	ChangeNotifier ChangeNotifier

	// Claims are fetched at sign-in and re-fetched on refresh when stale (see Claim).
	Claims []*Claim

	// RateLimits throttles failed sign-ins and refresh-token guessing (429 + Retry-After).
	RateLimits RateLimits
	// TrustedProxies lists the reverse proxies (IPs or CIDRs) whose X-Forwarded-For is
	// believed. Empty: the peer address is the client, whatever the headers say.
	TrustedProxies []string

	Clock  Clock
	Logger *slog.Logger

	// VerifyCacheSize bounds the verified-token cache (default 10000 entries).
	VerifyCacheSize int
	// DisableVerifyCache turns the verified-token cache off.
	DisableVerifyCache bool
	// MaxBodyBytes caps the sign-in request body; default 64 KiB.
	MaxBodyBytes int64
	// MaxSessionDataBytes caps a session's data as stored (JSON); a write over it fails with
	// ErrDataTooLarge (413 on the wire) and changes nothing. Default 64 KiB.
	MaxSessionDataBytes int
	// Admission bounds the store work the engine runs at once and sheds what cannot start
	// in time (503 with Retry-After); see Admission. On by default.
	Admission Admission
	// Audit configures the writer of security events to the store's audit log, used when the
	// store implements AuditLog; see AuditConfig and docs/AUDIT.md.
	Audit AuditConfig
	// Admin turns on the admin API and the dashboard under {base}/admin/ (docs/ADMIN.md). Nil,
	// the default, serves neither.
	Admin *AdminConfig
	// Observer sees the engine's operations (with their store calls) and its security events,
	// for metrics and tracing: see Observer, and the modules metrics/prometheus and
	// tracing/otel. Nil costs nothing.
	Observer Observer
	// TokenHeaderBudget caps how many bytes one session's tokens may add to a request's
	// headers (see ErrTokenTooLarge); payloads over it are refused when they are set. Default
	// DefaultTokenHeaderBudget, which fits every adapter's default header limit (Fiber reads
	// at most 4 KiB of headers); raise it only together with the server's limit. The Fiber
	// adapter's Mount checks the app's ReadBufferSize against it.
	TokenHeaderBudget int
}

// ErrConfig wraps every configuration error returned by New.
var ErrConfig = errors.New("ratchet: invalid config")

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}

// normalise applies defaults and validates. It returns the first problem found.
func (c *Config) normalise() error {
	if c.Store == nil {
		return configErr("Store is required")
	}
	if c.Algorithm == "" {
		c.Algorithm = DefaultAlgorithm
	}
	if !supportedAlg(c.Algorithm) {
		return configErr("unknown algorithm %q (want EdDSA, ES256 or RS256)", c.Algorithm)
	}
	setDefault(&c.AccessTTL, DefaultAccessTTL)
	setDefault(&c.RefreshTTL, DefaultRefreshTTL)
	setDefault(&c.AbsoluteTTL, DefaultAbsoluteTTL)
	setDefault(&c.RotationGrace, DefaultRotationGrace)
	switch {
	case c.AccessTTL < time.Second:
		return configErr("AccessTTL must be at least 1s")
	case c.RefreshTTL <= c.AccessTTL:
		return configErr("RefreshTTL (%s) must be longer than AccessTTL (%s)", c.RefreshTTL, c.AccessTTL)
	case c.AbsoluteTTL < c.RefreshTTL:
		return configErr("AbsoluteTTL (%s) must not be shorter than RefreshTTL (%s)", c.AbsoluteTTL, c.RefreshTTL)
	case c.RotationGrace < 0 || c.RotationGrace > maxRotationGrace:
		return configErr("RotationGrace must be between 0 and %s", maxRotationGrace)
	case c.ClockSkew < 0 || c.ClockSkew > maxClockSkew:
		return configErr("ClockSkew must be between 0 and %s", maxClockSkew)
	}
	if c.BasePath == "" {
		c.BasePath = DefaultBasePath
	}
	if !validBasePath(c.BasePath) {
		return configErr("BasePath %q must start with '/', not end with '/', and use only [A-Za-z0-9._~/-]", c.BasePath)
	}
	apiHTTPS := false
	if c.APIOrigin != "" {
		o, err := parseOrigin(c.APIOrigin)
		if err != nil {
			return configErr("APIOrigin: %v", err)
		}
		c.APIOrigin = o
		apiHTTPS = strings.HasPrefix(o, "https://")
	}
	for i, o := range c.AllowedOrigins {
		if o == "*" || strings.Contains(o, "*") {
			return configErr("AllowedOrigins must list exact origins; %q is a wildcard, which is never allowed with credentials", o)
		}
		n, err := parseOrigin(o)
		if err != nil {
			return configErr("AllowedOrigins[%d]: %v", i, err)
		}
		c.AllowedOrigins[i] = n
	}
	if c.Issuer == "" {
		c.Issuer = "ratchet"
		if c.APIOrigin != "" {
			c.Issuer = c.APIOrigin + c.BasePath
		}
	}
	if c.Cookies.SameSite == 0 || c.Cookies.SameSite == http.SameSiteDefaultMode {
		c.Cookies.SameSite = http.SameSiteLaxMode
	}
	if c.Cookies.SameSite == http.SameSiteNoneMode && c.Cookies.Insecure {
		return configErr("SameSite=None requires Secure cookies; do not set Cookies.Insecure")
	}
	if c.Cookies.Insecure && apiHTTPS {
		return configErr("Cookies.Insecure is not allowed when APIOrigin is https")
	}
	if strings.ContainsAny(c.Cookies.Domain, ";, \t\r\n\"=") || strings.ContainsFunc(c.Cookies.Domain, isCtl) {
		return configErr("Cookies.Domain %q contains forbidden characters", c.Cookies.Domain)
	}
	if c.AntiCSRF != CSRFCustomHeader && c.AntiCSRF != CSRFNone {
		return configErr("unknown AntiCSRF mode %d", c.AntiCSRF)
	}
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.RateLimits.defaults(c.Clock)
	setDefault(&c.RevocationPollInterval, DefaultRevocationPollInterval)
	if c.MaxSessionsPerUser < 0 {
		return configErr("MaxSessionsPerUser must not be negative")
	}
	if c.SessionLimit != EvictOldest && c.SessionLimit != RefuseNew {
		return configErr("unknown SessionLimit %d", c.SessionLimit)
	}
	seen := map[string]bool{}
	for i, cl := range c.Claims {
		switch {
		case cl == nil || cl.Fetch == nil || cl.Key == "":
			return configErr("Claims[%d] needs a Key and a Fetch function", i)
		case protectedClaims[cl.Key]:
			return configErr("Claims[%d]: %q is a protected claim", i, cl.Key)
		case seen[cl.Key]:
			return configErr("Claims[%d]: duplicate key %q", i, cl.Key)
		case cl.MaxAge < 0:
			return configErr("Claims[%d]: negative MaxAge", i)
		}
		seen[cl.Key] = true
		cl.clock = c.Clock
	}
	if c.VerifyCacheSize < 0 {
		return configErr("VerifyCacheSize must not be negative (use DisableVerifyCache)")
	}
	setDefault(&c.VerifyCacheSize, DefaultCacheSize)
	if c.MaxBodyBytes < 0 {
		return configErr("MaxBodyBytes must not be negative")
	}
	setDefault(&c.MaxBodyBytes, DefaultMaxBodyBytes)
	if c.MaxSessionDataBytes < 0 {
		return configErr("MaxSessionDataBytes must not be negative")
	}
	setDefault(&c.MaxSessionDataBytes, DefaultMaxSessionDataBytes)
	if c.TokenHeaderBudget != 0 && c.TokenHeaderBudget < minTokenHeaderBudget {
		return configErr("TokenHeaderBudget must be at least %d bytes (a session without custom claims needs about that)", minTokenHeaderBudget)
	}
	setDefault(&c.TokenHeaderBudget, DefaultTokenHeaderBudget)
	if !c.Admission.Disable {
		if err := c.Admission.defaults(c.Store); err != nil {
			return err
		}
	}
	if c.Admin != nil {
		a := *c.Admin // the caller's struct is left as it was
		if err := a.defaults(); err != nil {
			return err
		}
		c.Admin = &a
	}
	if err := c.Audit.defaults(); err != nil {
		return err
	}
	return nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

func isCtl(r rune) bool { return r < 0x20 || r == 0x7f }

func validBasePath(p string) bool {
	if len(p) < 2 || p[0] != '/' || p[len(p)-1] == '/' || strings.Contains(p, "//") {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._~/-", r)) {
			return false
		}
	}
	return true
}

// parseOrigin checks that o is scheme://host[:port] and returns it lower-cased.
func parseOrigin(o string) (string, error) {
	u, err := url.Parse(o)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL", o)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q must be an origin like https://app.example.com", o)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}
