// Package otelratchet traces a ratchet engine with OpenTelemetry.
//
// Its import path is github.com/ratchetauth/ratchet/tracing/otel. New returns a
// core.Observer; set it in the engine's Config (core.Observers combines it with the
// Prometheus one of metrics/prometheus):
//
//	cfg.Observer = otelratchet.New(otelratchet.Options{TracerProvider: tp}) // nil: the global provider
//	engine, err := core.New(cfg)
//
// # Spans
//
// Every operation the engine reports gets an internal span named "ratchet." plus the
// operation (core's Op… constants), a child of the span in the request's context, so an
// HTTP server span (otelhttp, otelgin, …) holds them:
//
//	ratchet.sign_in        POST {base}/signin
//	  ratchet.issue_tokens   a new session (also alone: CreateSession, IssueTokens)
//	    ratchet.store.create (after ratchet.store.list_by_user under a session limit)
//	ratchet.refresh        a refresh-token rotation
//	  ratchet.store.get, ratchet.store.update
//	ratchet.verify_strict  the store check of VerifyOptions.CheckDatabase
//	  ratchet.store.get
//	ratchet.store.*        store calls outside a request: the janitor (store.delete_expired),
//	                       the revocation poller (store.revoked_since), RevokeAllSessions
//	ratchet.audit.append   one batch written to the audit log (its own trace)
//
// Each span has ratchet.op and, when it ends, ratchet.outcome: ok; rejected, with
// ratchet.answer naming the answer ("unauthorised", "token theft detected", "wrong
// credentials"), which is not an error and leaves the status unset; shed (admission
// control); or error, a failure (core.ErrStore, an ended context, an unexpected error),
// recorded with RecordError and status Error.
//
// # Security events
//
// Each security event becomes a "ratchet.security_event" span event on the span of the
// operation that raised it (a token_theft on its ratchet.refresh span), with
// ratchet.event.type and ratchet.event.reason. The user ids and the session handle are added
// only with Options.RecordUserIDs; IP addresses, user agents, tokens, cookies and passwords
// never are.
package otelratchet
