package gormtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
)

// BenchmarkDatabaseFloor puts ratchet next to the SQL it sends (issue 15, "database-bound,
// not library-bound"): for each database, each operation runs once as bare database/sql
// ("raw": the same statements, the same parameters, on the same *sql.DB pool the store
// uses) and once through the engine ("ratchet"), at 1, 8 and 32 concurrent clients:
//
//	refresh        Engine.RefreshTokens, one conditional UPDATE (core.Rotator,
//	               stores/gorm/rotate.go); raw: that UPDATE with fresh hashes, chained
//	verify_strict  Engine.VerifyAccessToken with CheckDatabase (verify cache on, so the
//	               signature is verified once): one SELECT by handle; raw: the SELECT, all
//	               columns scanned
//	signin         Engine.IssueTokens, one INSERT; raw: the INSERT of the same 20 columns
//
// Each client is a goroutine with sessions of its own (a refresh chain, a token to verify);
// b.N operations are shared among the clients. Reported: ops/s, p50-us and p99-us (per
// operation, over all clients), cpu-us/op (the CPU time this process, client and driver,
// spent per operation: on a machine the database shares, what the library takes from it) and
// allocations. Run it with `make bench-db`:
//
//	go test -run '^$' -bench DatabaseFloor -benchtime=2000x .
//
// The pool is explicit and the same for both sides: floorPoolSize open and idle connections,
// no lifetime limits. The engine keeps its defaults otherwise, so its admission control
// allows floorPoolSize-1 operations at once (one connection stays free for background work)
// and its audit writer inserts the refresh events in batches on the same pool: both are part
// of what a refresh costs in production, and of what this benchmark measures.
func BenchmarkDatabaseFloor(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s, db := newStore(b, be, gormstore.Options{})
			pool, err := db.DB()
			if err != nil {
				b.Fatal(err)
			}
			pool.SetMaxOpenConns(floorPoolSize)
			pool.SetMaxIdleConns(floorPoolSize)
			pool.SetConnMaxLifetime(0)
			pool.SetConnMaxIdleTime(0)
			e, _ := newEngine(b, s)
			raw := newRawSQL(be.name, pool, s.SessionsTable())
			for _, op := range floorOps {
				b.Run(op.name, func(b *testing.B) {
					for _, side := range []string{"raw", "ratchet"} {
						b.Run(side, func(b *testing.B) {
							for _, clients := range floorClients {
								b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
									setup := op.raw
									if side == "ratchet" {
										setup = op.ratchet
									}
									runFloor(b, clients, setup(b, e, s, raw, clients))
								})
							}
						})
					}
				})
			}
		})
	}
}

// floorPoolSize is the connection pool of both sides: testdb.PoolSize, stated here so that
// the benchmark does not change when the tests' pool does.
const floorPoolSize = 16

var floorClients = []int{1, 8, 32}

// floorWarmup is how many operations each client runs before the timer starts (connections
// opened, statements prepared and cached by the driver).
const floorWarmup = 5

// floorOp is one operation: per side, a setup (outside the timer) that returns what client
// c runs for each of its operations.
type floorOp struct {
	name         string
	raw, ratchet func(b *testing.B, e *core.Engine, s *gormstore.Store, r *rawSQL, clients int) func(c int) error
}

var floorOps = []floorOp{
	{
		name: "refresh",
		raw: func(b *testing.B, _ *core.Engine, s *gormstore.Store, r *rawSQL, clients int) func(int) error {
			chains := make([]*rawChain, clients)
			for c := range chains {
				rec := record(fmt.Sprintf("floor-raw-refresh-%d", c), epoch)
				mustCreate(b, s, rec)
				chains[c] = &rawChain{handle: rec.Handle, current: rec.CurrentHash, version: rec.Version}
			}
			return func(c int) error { return r.rotate(chains[c]) }
		},
		ratchet: func(b *testing.B, e *core.Engine, _ *gormstore.Store, _ *rawSQL, clients int) func(int) error {
			tokens := make([]string, clients)
			for c := range tokens {
				tk, err := e.IssueTokens(context.Background(), fmt.Sprintf("floor-refresh-%d", c), floorCreate)
				if err != nil {
					b.Fatal(err)
				}
				tokens[c] = tk.RefreshToken
			}
			return func(c int) error {
				tk, err := e.RefreshTokens(context.Background(), tokens[c], core.RefreshMeta{IP: floorCreate.IP, UserAgent: floorCreate.UserAgent})
				if err != nil {
					return err
				}
				tokens[c] = tk.RefreshToken
				return nil
			}
		},
	},
	{
		name: "signin",
		raw: func(_ *testing.B, _ *core.Engine, _ *gormstore.Store, r *rawSQL, _ int) func(int) error {
			return func(c int) error { return r.insert("floor-raw-signin-" + strconv.Itoa(c)) }
		},
		ratchet: func(_ *testing.B, e *core.Engine, _ *gormstore.Store, _ *rawSQL, _ int) func(int) error {
			return func(c int) error {
				_, err := e.IssueTokens(context.Background(), "floor-signin-"+strconv.Itoa(c), floorCreate)
				return err
			}
		},
	},
	{
		name: "verify_strict",
		raw: func(b *testing.B, _ *core.Engine, s *gormstore.Store, r *rawSQL, clients int) func(int) error {
			handles := make([]string, clients)
			for c := range handles {
				rec := record(fmt.Sprintf("floor-raw-verify-%d", c), epoch)
				mustCreate(b, s, rec)
				handles[c] = rec.Handle
			}
			return func(c int) error { return r.get(handles[c]) }
		},
		ratchet: func(b *testing.B, e *core.Engine, _ *gormstore.Store, _ *rawSQL, clients int) func(int) error {
			tokens := make([]string, clients)
			for c := range tokens {
				tk, err := e.IssueTokens(context.Background(), fmt.Sprintf("floor-verify-%d", c), floorCreate)
				if err != nil {
					b.Fatal(err)
				}
				tokens[c] = tk.AccessToken
			}
			strict := core.VerifyOptions{CheckDatabase: true}
			return func(c int) error {
				_, err := e.VerifyAccessToken(context.Background(), tokens[c], strict)
				return err
			}
		},
	},
}

// floorCreate is the client both sides' sign-ins record.
var floorCreate = core.CreateOptions{IP: "192.0.2.1", UserAgent: "floor-bench"}

// runFloor runs b.N calls of op, shared among clients goroutines (client c calls op(c)), after
// floorWarmup calls per client outside the timer, and reports ops/s, p50-us, p99-us,
// cpu-us/op and allocations.
func runFloor(b *testing.B, clients int, op func(c int) error) {
	b.ReportAllocs()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range floorWarmup {
				if err := op(c); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if b.Failed() {
		return
	}
	lat := make([][]time.Duration, clients)
	for c := range lat {
		lat[c] = make([]time.Duration, 0, b.N/clients+b.N%clients+1)
	}
	var next atomic.Int64
	b.ResetTimer()
	cpu0, cpuOK := processCPU()
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if err := op(c); err != nil {
					b.Error(err)
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, _ := processCPU()
	b.StopTimer()
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	pct := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))]) / float64(time.Microsecond) }
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "ops/s")
	b.ReportMetric(pct(0.50), "p50-us")
	b.ReportMetric(pct(0.99), "p99-us")
	if cpuOK {
		b.ReportMetric(float64(cpu1-cpu0)/float64(time.Microsecond)/float64(len(all)), "cpu-us/op")
	}
}

// rawSQL is the floor: the statements the GORM store sends (as its round-trip test records
// them, tests/gorm/roundtrips_test.go), written out per dialect, with the same parameters,
// sent with database/sql on the store's own pool.
type rawSQL struct {
	pool                     *sql.DB
	update, insertSQL, query string
}

func newRawSQL(dialect string, pool *sql.DB, table string) *rawSQL {
	r := &rawSQL{pool: pool}
	switch dialect {
	case "postgres":
		t := `"` + table + `"`
		r.update = `UPDATE ` + t + ` SET "current_hash"=$1,"expires_at"=$2,"history"=CASE WHEN history = '' THEN CAST($3 AS TEXT) ELSE substr(CAST($4 AS TEXT) || ',' || history, 1, $5) END,"last_active_at"=$6,"previous_hash"=$7,"rotated_at"=$8,"write_seq"=write_seq + 1 WHERE (handle = $9 AND revoked = false AND expires_at > $10 AND current_hash = $11 AND version = $12) AND ((previous_hash = '' OR substr(history, 1, 64) = previous_hash))`
		r.insertSQL = `INSERT INTO ` + t + ` ("handle","user_id","secret","current_hash","previous_hash","rotated_at","created_at","expires_at","last_active_at","revoked","version","write_seq","data","payload","ip","user_agent","idle_timeout_ms","absolute_expires_at","revoked_at","history") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)`
		r.query = `SELECT * FROM ` + t + ` WHERE handle = $1 LIMIT 1`
	case "mysql", "sqlite":
		t := "`" + table + "`"
		history := "CASE WHEN history = '' THEN ? ELSE LEFT(CONCAT(?, ',', history), ?) END"
		if dialect == "sqlite" {
			history = "CASE WHEN history = '' THEN ? ELSE substr(? || ',' || history, 1, ?) END"
		}
		r.update = "UPDATE " + t + " SET `current_hash`=?,`expires_at`=?,`history`=" + history + ",`last_active_at`=?,`previous_hash`=?,`rotated_at`=?,`write_seq`=write_seq + 1 WHERE (handle = ? AND revoked = false AND expires_at > ? AND current_hash = ? AND version = ?) AND ((previous_hash = '' OR substr(history, 1, 64) = previous_hash))"
		r.insertSQL = "INSERT INTO " + t + " (`handle`,`user_id`,`secret`,`current_hash`,`previous_hash`,`rotated_at`,`created_at`,`expires_at`,`last_active_at`,`revoked`,`version`,`write_seq`,`data`,`payload`,`ip`,`user_agent`,`idle_timeout_ms`,`absolute_expires_at`,`revoked_at`,`history`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
		r.query = "SELECT * FROM " + t + " WHERE handle = ? LIMIT 1"
	default:
		panic("unknown dialect " + dialect)
	}
	return r
}

// The engine's lifetimes (core defaults) and history bound, as the raw side writes them.
const (
	floorIdle       = 30 * 24 * time.Hour // RefreshTTL
	floorAbsolute   = 90 * 24 * time.Hour // AbsoluteTTL
	floorHistoryMax = 737                 // core's historyMaxLen: 9 entries of 81 bytes, 8 commas
)

// rawChain is one client's session on the raw side: its row and the hash now current.
type rawChain struct {
	handle, current string
	version         int64
}

// freshHash is what a rotation writes: the hex SHA-256 of a fresh random token.
func freshHash() string {
	var tok [32]byte
	_, _ = rand.Read(tok[:])
	h := sha256.Sum256(tok[:])
	return hex.EncodeToString(h[:])
}

// rotate is the engine's one-statement rotation of ch (core.Rotator): the row changes to a
// fresh hash, the presented one goes to the front of the history.
func (r *rawSQL) rotate(ch *rawChain) error {
	at := epoch // the engine's fake clock
	to := freshHash()
	entry := ch.current + "." + strconv.FormatInt(at.UnixMicro(), 10)
	res, err := r.pool.ExecContext(context.Background(), r.update,
		to, at.Add(floorIdle), entry, entry, floorHistoryMax, at, ch.current, at,
		ch.handle, at, ch.current, ch.version)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("raw rotation of %s changed %d rows (%v); want 1", ch.handle, n, err)
	}
	ch.current = to
	return nil
}

// insert is a sign-in's INSERT: a new row with a fresh handle, secret and hash.
func (r *rawSQL) insert(user string) error {
	at := epoch
	var secret [32]byte
	_, _ = rand.Read(secret[:])
	_, err := r.pool.ExecContext(context.Background(), r.insertSQL,
		randHandle(), user, secret[:], freshHash(), "", at, at, at.Add(floorIdle), at,
		false, int64(1), int64(0), "{}", "{}", floorCreate.IP, floorCreate.UserAgent,
		floorIdle.Milliseconds(), at.Add(floorAbsolute), nil, "")
	return err
}

// get is a strict verification's SELECT by handle, every column scanned into its Go type.
func (r *rawSQL) get(handle string) error {
	rows, err := r.pool.QueryContext(context.Background(), r.query, handle)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return fmt.Errorf("raw select: no row %s", handle)
	}
	var (
		h, user, cur, prev, ip, ua, history string
		secret                              []byte
		rotated, created, expires, active   time.Time
		revoked                             bool
		version, seq, idleMS                int64
		data, payload                       sql.NullString
		absExpires, revokedAt               sql.NullTime
	)
	if err := rows.Scan(&h, &user, &secret, &cur, &prev, &rotated, &created, &expires, &active,
		&revoked, &version, &seq, &data, &payload, &ip, &ua, &idleMS, &absExpires, &revokedAt, &history); err != nil {
		return err
	}
	if revoked || !expires.After(epoch) {
		return fmt.Errorf("raw select: row %s is not live", handle)
	}
	return rows.Close()
}
