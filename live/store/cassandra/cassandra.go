package cassandra

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"golang.org/x/sync/errgroup"

	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/internal/faultpoint"
	"github.com/mouseauth/mouseauth/live/store/internal/keys"
)

// Replication strategies for Config.Replication.
const (
	SimpleStrategy          = "SimpleStrategy"
	NetworkTopologyStrategy = "NetworkTopologyStrategy"
)

// defaultPort is Cassandra's native transport port.
const defaultPort = 9042

// Config configures [Open].
type Config struct {
	// Hosts are contact points, host:port (host alone means port 9042).
	// They must share one port: gocql reaches the nodes it discovers on it.
	Hosts []string
	// Keyspace, default "mouseauth": letters, digits and underscores,
	// starting with a letter, at most 48 characters (Cassandra's limit).
	Keyspace string
	// Replication is SimpleStrategy (default) with Factor copies (default
	// 1), or NetworkTopologyStrategy with DCFactors (datacenter -> copies).
	// It is used only when CreateSchema creates the keyspace.
	Replication string
	Factor      int
	DCFactors   map[string]int
	// TLS is required: the store speaks mutual TLS only.
	TLS *tls.Config
	// Consistency of reads and writes, default LOCAL_QUORUM; any name gocql
	// knows (ONE, QUORUM, LOCAL_ONE, ALL, ...).
	Consistency string
	// Timeout of connecting and of each request, default 5s.
	Timeout time.Duration
	// CreateSchema creates the keyspace and missing tables.
	CreateSchema bool
}

var (
	keyspaceName   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,47}$`)
	datacenterName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
)

// settings is what validate derives from a Config.
type settings struct {
	hosts       []string // without ports
	port        int
	consistency gocql.Consistency
	serial      gocql.Consistency
	replication string // CQL map literal
}

// validate checks c, fills in its defaults and derives the driver settings.
func (c *Config) validate() (settings, error) {
	var st settings
	if c.TLS == nil {
		return st, errors.New("cassandra: a TLS configuration is required (mutual TLS only)")
	}
	if len(c.Hosts) == 0 {
		return st, errors.New("cassandra: no contact points (host:port)")
	}
	for _, h := range c.Hosts {
		host, port := h, defaultPort
		if hp, ps, err := net.SplitHostPort(h); err == nil {
			p, err := strconv.Atoi(ps)
			if err != nil || p <= 0 || p > 65535 {
				return st, fmt.Errorf("cassandra: contact point %q: bad port", h)
			}
			host, port = hp, p
		}
		if host == "" {
			return st, fmt.Errorf("cassandra: contact point %q has no host", h)
		}
		if st.port != 0 && port != st.port {
			return st, fmt.Errorf("cassandra: contact points use ports %d and %d; gocql reaches every node on one port", st.port, port)
		}
		st.port = port
		st.hosts = append(st.hosts, host)
	}
	if c.Keyspace == "" {
		c.Keyspace = "mouseauth"
	}
	if !keyspaceName.MatchString(c.Keyspace) {
		return st, fmt.Errorf("cassandra: keyspace %q: want letters, digits and underscores, starting with a letter, at most 48", c.Keyspace)
	}
	switch {
	case c.Replication == "" || strings.EqualFold(c.Replication, SimpleStrategy):
		c.Replication = SimpleStrategy
		if c.Factor == 0 {
			c.Factor = 1
		}
		if c.Factor < 1 {
			return st, fmt.Errorf("cassandra: replication factor %d: want at least 1", c.Factor)
		}
		if len(c.DCFactors) > 0 {
			return st, errors.New("cassandra: datacenter factors need NetworkTopologyStrategy")
		}
		st.replication = fmt.Sprintf("{'class': 'SimpleStrategy', 'replication_factor': %d}", c.Factor)
	case strings.EqualFold(c.Replication, NetworkTopologyStrategy):
		c.Replication = NetworkTopologyStrategy
		if c.Factor != 0 {
			return st, errors.New("cassandra: NetworkTopologyStrategy takes datacenter factors, not Factor")
		}
		if len(c.DCFactors) == 0 {
			return st, errors.New("cassandra: NetworkTopologyStrategy needs at least one datacenter factor (dc1=3)")
		}
		dcs := make([]string, 0, len(c.DCFactors))
		for dc, n := range c.DCFactors {
			if !datacenterName.MatchString(dc) {
				return st, fmt.Errorf("cassandra: datacenter name %q: want letters, digits, '_', '.' or '-'", dc)
			}
			if n < 1 {
				return st, fmt.Errorf("cassandra: datacenter %s: replication factor %d, want at least 1", dc, n)
			}
			dcs = append(dcs, dc)
		}
		sort.Strings(dcs)
		var b strings.Builder
		b.WriteString("{'class': 'NetworkTopologyStrategy'")
		for _, dc := range dcs {
			fmt.Fprintf(&b, ", '%s': %d", dc, c.DCFactors[dc])
		}
		b.WriteString("}")
		st.replication = b.String()
	default:
		return st, fmt.Errorf("cassandra: unknown replication strategy %q (want %s or %s)", c.Replication, SimpleStrategy, NetworkTopologyStrategy)
	}
	if c.Consistency == "" {
		c.Consistency = "LOCAL_QUORUM"
	}
	cons, err := gocql.ParseConsistencyWrapper(c.Consistency)
	if err != nil || cons == gocql.Serial || cons == gocql.LocalSerial {
		return st, fmt.Errorf("cassandra: unknown consistency %q (want ONE, QUORUM, LOCAL_QUORUM, ...)", c.Consistency)
	}
	st.consistency = cons
	// Paxos rounds of the lightweight transactions stay in the local
	// datacenter when the other requests do.
	st.serial = gocql.Serial
	if strings.HasPrefix(cons.String(), "LOCAL_") {
		st.serial = gocql.LocalSerial
	}
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Timeout < 0 {
		return st, fmt.Errorf("cassandra: negative timeout %v", c.Timeout)
	}
	return st, nil
}

func (st settings) cluster(c *Config, keyspace string) *gocql.ClusterConfig {
	cl := gocql.NewCluster(st.hosts...)
	cl.Port = st.port
	cl.ProtoVersion = 4
	cl.Keyspace = keyspace
	cl.Consistency = st.consistency
	cl.SerialConsistency = st.serial
	cl.Timeout = c.Timeout
	cl.ConnectTimeout = c.Timeout
	cl.SslOpts = &gocql.SslOptions{Config: c.TLS.Clone(), EnableHostVerification: true}
	// Look for restarted nodes every second instead of gocql's default
	// minute, so a rolling restart stalls the service briefly, not for 60 s.
	cl.ReconnectInterval = time.Second
	return cl
}

// Tables, one statement each (Cassandra runs one statement per request).
var tables = []string{
	`CREATE TABLE IF NOT EXISTS models (uid text, version int, data blob, created timestamp, vectors bigint,
		PRIMARY KEY (uid, version)) WITH CLUSTERING ORDER BY (version DESC)`,
	`CREATE TABLE IF NOT EXISTS vectors (uid text, session text, seq bigint, at timestamp, vals blob,
		PRIMARY KEY ((uid), session, seq))`,
	`CREATE TABLE IF NOT EXISTS decisions (uid text, session text, seq bigint, score double, mean double, win int,
		threshold double, accept boolean, alert boolean, judged boolean, flags int, model_version int, at timestamp,
		PRIMARY KEY ((uid), session, seq))`,
	`CREATE TABLE IF NOT EXISTS sessions (uid text, id text, client text, accepted boolean, reason text,
		alerted boolean, started timestamp, mac_key blob, PRIMARY KEY ((uid), id))`,
}

// Store is the Cassandra profile store; it implements store.Profiles.
type Store struct {
	s *gocql.Session
}

var _ store.Profiles = (*Store)(nil)

// Open validates cfg, connects and, with CreateSchema, creates the keyspace
// and tables.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	st, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	where := strings.Join(cfg.Hosts, ",")
	if cfg.CreateSchema {
		// The keyspace may not exist yet, so this session has none.
		boot, err := connect(ctx, st.cluster(&cfg, ""))
		if err != nil {
			return nil, fmt.Errorf("cassandra: connect to %s: %w", where, err)
		}
		// The name is quoted because gocql's USE quotes it: both then keep
		// its case.
		err = boot.Query(`CREATE KEYSPACE IF NOT EXISTS "` + cfg.Keyspace + `" WITH replication = ` + st.replication).
			ExecContext(ctx)
		boot.Close()
		if err != nil {
			return nil, fmt.Errorf("cassandra: create keyspace %s: %w", cfg.Keyspace, err)
		}
	}
	sess, err := connect(ctx, st.cluster(&cfg, cfg.Keyspace))
	if err != nil {
		return nil, fmt.Errorf("cassandra: connect to %s keyspace %s: %w", where, cfg.Keyspace, err)
	}
	if cfg.CreateSchema {
		for _, q := range tables {
			if err := sess.Query(q).ExecContext(ctx); err != nil {
				sess.Close()
				return nil, fmt.Errorf("cassandra: create tables in %s: %w", cfg.Keyspace, err)
			}
		}
	}
	if err := checkSchema(ctx, sess, cfg.Keyspace); err != nil {
		sess.Close()
		return nil, err
	}
	return &Store{s: sess}, nil
}

// checkSchema refuses tables created by an older version: CREATE TABLE IF
// NOT EXISTS leaves them as they are, and the first login would fail on the
// missing column.
func checkSchema(ctx context.Context, sess *gocql.Session, keyspace string) error {
	for _, c := range []struct{ table, column, typ string }{{"sessions", "mac_key", "blob"}, {"decisions", "judged", "boolean"}, {"decisions", "flags", "int"}} {
		err := sess.Query(`SELECT ` + c.column + ` FROM ` + c.table + ` LIMIT 1`).ExecContext(ctx)
		var re gocql.RequestError
		if errors.As(err, &re) && re.Code() == gocql.ErrCodeInvalid {
			return fmt.Errorf("cassandra: keyspace %s: table %s has no column %s (created by an older mouseauth; %v): "+
				"run ALTER TABLE %q.%s ADD %s %s: %w", keyspace, c.table, c.column, err, keyspace, c.table, c.column, c.typ, store.ErrSchema)
		}
		if err != nil {
			return fmt.Errorf("cassandra: keyspace %s: check the %s table: %w", keyspace, c.table, err)
		}
	}
	return nil
}

// connect is CreateSession bounded by ctx as well as by the connect timeout.
func connect(ctx context.Context, cl *gocql.ClusterConfig) (*gocql.Session, error) {
	type result struct {
		s   *gocql.Session
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := cl.CreateSession()
		ch <- result{s, err}
	}()
	select {
	case r := <-ch:
		return r.s, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.s != nil {
				r.s.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// Close closes the session.
func (s *Store) Close() error {
	s.s.Close()
	return nil
}

// wrap adds context to a driver error, mapping "no row" to store.ErrNotFound.
func wrap(what string, err error) error {
	if errors.Is(err, gocql.ErrNotFound) {
		err = store.ErrNotFound
	}
	return fmt.Errorf("cassandra: %s: %w", what, err)
}

// insertNew runs an INSERT ... IF NOT EXISTS and reports whether it applied.
func (s *Store) insertNew(ctx context.Context, stmt string, args ...any) (bool, error) {
	// When not applied the existing row comes back too; MapScanCAS takes
	// it whatever its columns, and it is not needed.
	return s.s.Query(stmt, args...).MapScanCASContext(ctx, map[string]any{})
}

// PutModel implements store.Models.
func (s *Store) PutModel(ctx context.Context, m store.Model) error {
	what := fmt.Sprintf("put model %s v%d", m.User, m.Version)
	ins, err := s.insertNew(ctx, `INSERT INTO models (uid, version, data, created, vectors) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS`,
		m.User, m.Version, m.Data, m.Created, m.Vectors)
	if err != nil {
		return wrap(what, err)
	}
	if !ins {
		return wrap(what, store.ErrVersionExists)
	}
	return nil
}

// LatestModel implements store.Models.
func (s *Store) LatestModel(ctx context.Context, user string) (store.Model, error) {
	m := store.Model{User: user}
	err := s.s.Query(`SELECT version, data, created, vectors FROM models WHERE uid = ? LIMIT 1`, user).
		ScanContext(ctx, &m.Version, &m.Data, &m.Created, &m.Vectors)
	if err != nil {
		return store.Model{}, wrap("latest model of "+user, err)
	}
	m.Created = m.Created.UTC()
	return m, nil
}

// ModelUsers implements store.Models.
func (s *Store) ModelUsers(ctx context.Context) ([]string, error) {
	iter := s.s.Query(`SELECT DISTINCT uid FROM models`).IterContext(ctx)
	var users []string
	var u string
	for iter.Scan(&u) {
		users = append(users, u)
	}
	if err := iter.Close(); err != nil {
		return nil, wrap("model users", err)
	}
	sort.Strings(users) // partitions come in token order
	return users, nil
}

const decisionCols = `seq, score, mean, win, threshold, accept, alert, judged, flags, model_version, at`

// decisionDest returns the scan destinations of decisionCols into d.
func decisionDest(d *store.Decision) []any {
	return []any{&d.Seq, &d.Score, &d.Statistic, &d.Window, &d.Threshold, &d.Accept, &d.Alert, &d.Judged, &d.Flags, &d.ModelVersion, &d.At}
}

// Decision implements store.Profiles.
func (s *Store) Decision(ctx context.Context, user, session string, seq int64) (store.Decision, error) {
	d := store.Decision{User: user, Session: session}
	err := s.s.Query(`SELECT `+decisionCols+` FROM decisions WHERE uid = ? AND session = ? AND seq = ?`, user, session, seq).
		ScanContext(ctx, decisionDest(&d)...)
	if err != nil {
		return store.Decision{}, wrap(fmt.Sprintf("decision %s/%s/%d", user, session, seq), err)
	}
	d.At = d.At.UTC()
	return d, nil
}

// RecentDecisions implements store.Profiles.
func (s *Store) RecentDecisions(ctx context.Context, user, session string, before int64, n int) ([]store.Decision, error) {
	if n <= 0 {
		return nil, nil
	}
	// Newest first so LIMIT keeps the last n, then back to ascending.
	sc := s.s.Query(`SELECT `+decisionCols+` FROM decisions WHERE uid = ? AND session = ? AND seq < ?
		ORDER BY session DESC, seq DESC LIMIT ?`, user, session, before, n).IterContext(ctx).Scanner()
	var out []store.Decision
	for sc.Next() {
		d := store.Decision{User: user, Session: session}
		if err := sc.Scan(decisionDest(&d)...); err != nil {
			return nil, wrap("recent decisions", err)
		}
		d.At = d.At.UTC()
		out = append(out, d)
	}
	if err := sc.Err(); err != nil {
		return nil, wrap("recent decisions", err)
	}
	slices.Reverse(out)
	return out, nil
}

// RecentVectors implements store.Profiles.
func (s *Store) RecentVectors(ctx context.Context, user, session string, before int64, n int) ([]store.Vector, error) {
	if n <= 0 {
		return nil, nil
	}
	iter := s.s.Query(`SELECT seq, at, vals FROM vectors WHERE uid = ? AND session = ? AND seq < ?
		ORDER BY session DESC, seq DESC LIMIT ?`, user, session, before, n).IterContext(ctx)
	var (
		out  []store.Vector
		seq  int64
		at   time.Time
		vals []byte
	)
	for iter.Scan(&seq, &at, &vals) {
		values, err := store.DecodeValues(vals)
		if err != nil {
			iter.Close()
			return nil, wrap(fmt.Sprintf("recent vectors: %s/%s/%d", user, session, seq), err)
		}
		out = append(out, store.Vector{User: user, Session: session, Seq: seq, At: at.UTC(), Values: values})
	}
	if err := iter.Close(); err != nil {
		return nil, wrap("recent vectors", err)
	}
	slices.Reverse(out)
	return out, nil
}

// Vectors implements store.Profiles. Cassandra has no join, so it reads the
// user's sessions, then the user's vector partition, and orders in Go as
// the SQL stores do: newest session first (sessions without a row last),
// then session id and seq.
func (s *Store) Vectors(ctx context.Context, user string, limit int) ([]store.Vector, error) {
	if limit <= 0 {
		return nil, nil
	}
	type info struct {
		alerted bool
		started time.Time
	}
	sessions := map[string]info{}
	iter := s.s.Query(`SELECT id, alerted, started FROM sessions WHERE uid = ?`, user).IterContext(ctx)
	var (
		id string
		in info
	)
	for iter.Scan(&id, &in.alerted, &in.started) {
		sessions[id] = in
	}
	if err := iter.Close(); err != nil {
		return nil, wrap("vectors: sessions of "+user, err)
	}

	var out []store.Vector
	iter = s.s.Query(`SELECT session, seq, at, vals FROM vectors WHERE uid = ?`, user).IterContext(ctx)
	var (
		v    store.Vector
		vals []byte
	)
	for iter.Scan(&v.Session, &v.Seq, &v.At, &vals) {
		if sessions[v.Session].alerted {
			continue
		}
		values, err := store.DecodeValues(vals)
		if err != nil {
			iter.Close()
			return nil, wrap(fmt.Sprintf("vectors: %s/%s/%d", user, v.Session, v.Seq), err)
		}
		out = append(out, store.Vector{User: user, Session: v.Session, Seq: v.Seq, At: v.At.UTC(), Values: values})
	}
	if err := iter.Close(); err != nil {
		return nil, wrap("vectors of "+user, err)
	}
	// Rows come by session, then seq: a stable sort on the start keeps that.
	slices.SortStableFunc(out, func(a, b store.Vector) int {
		return sessions[b.Session].started.Compare(sessions[a.Session].started)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// LabeledVectors implements store.Profiles. Cassandra has no join: it reads
// the user's sessions, orders those with the alert flag asked for as the
// SQL stores do (newest first, then id), and reads each one's vectors and
// decisions (two queries of one partition each) until limit vectors are
// read.
func (s *Store) LabeledVectors(ctx context.Context, user string, alerted bool, limit int) ([]store.LabeledVector, error) {
	if limit <= 0 {
		return nil, nil
	}
	type info struct {
		id      string
		started time.Time
	}
	var sessions []info
	iter := s.s.Query(`SELECT id, alerted, started FROM sessions WHERE uid = ?`, user).IterContext(ctx)
	var (
		in info
		al bool
	)
	for iter.Scan(&in.id, &al, &in.started) {
		if al == alerted {
			sessions = append(sessions, in)
		}
	}
	if err := iter.Close(); err != nil {
		return nil, wrap("labeled vectors: sessions of "+user, err)
	}
	slices.SortStableFunc(sessions, func(a, b info) int {
		if c := b.started.Compare(a.started); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	var out []store.LabeledVector
	for _, ss := range sessions {
		if len(out) >= limit {
			break
		}
		decided := map[int64]store.Decision{}
		sc := s.s.Query(`SELECT `+decisionCols+` FROM decisions WHERE uid = ? AND session = ?`, user, ss.id).IterContext(ctx).Scanner()
		for sc.Next() {
			d := store.Decision{User: user, Session: ss.id}
			if err := sc.Scan(decisionDest(&d)...); err != nil {
				return nil, wrap("labeled vectors: decisions", err)
			}
			d.At = d.At.UTC()
			decided[d.Seq] = d
		}
		if err := sc.Err(); err != nil {
			return nil, wrap(fmt.Sprintf("labeled vectors: decisions of %s/%s", user, ss.id), err)
		}
		iter := s.s.Query(`SELECT seq, at, vals FROM vectors WHERE uid = ? AND session = ? LIMIT ?`, user, ss.id, limit-len(out)).
			IterContext(ctx)
		var (
			seq  int64
			at   time.Time
			vals []byte
		)
		for iter.Scan(&seq, &at, &vals) {
			values, err := store.DecodeValues(vals)
			if err != nil {
				iter.Close()
				return nil, wrap(fmt.Sprintf("labeled vectors: %s/%s/%d", user, ss.id, seq), err)
			}
			d, ok := decided[seq]
			out = append(out, store.LabeledVector{Vector: store.Vector{User: user, Session: ss.id, Seq: seq, At: at.UTC(), Values: values},
				Decision: d, Decided: ok, SessionAlerted: alerted})
		}
		if err := iter.Close(); err != nil {
			return nil, wrap(fmt.Sprintf("labeled vectors of %s/%s", user, ss.id), err)
		}
	}
	return out, nil
}

// SampleVectors implements store.Profiles: each place is a token drawn
// uniformly, from which it reads store.SampleRun vectors in token order
// (one user's partition, or the next ones'), wrapping to the lowest token
// past the highest; each run's sessions are looked up (one query each) to
// leave out alerted ones. Partitions are drawn uniformly, not rows.
func (s *Store) SampleVectors(ctx context.Context, seed int64, n int) ([]store.Vector, error) {
	if n <= 0 {
		return nil, nil
	}
	alerted := map[[2]string]bool{}
	// read returns the vectors of sessions without an alert among the run
	// at tok, and whether the run held any vector at all.
	read := func(tok int64) ([]store.Vector, bool, error) {
		iter := s.s.Query(`SELECT uid, session, seq, at, vals FROM vectors WHERE token(uid) >= ? LIMIT ?`, tok, store.SampleRun).
			IterContext(ctx)
		var (
			run  []store.Vector
			v    store.Vector
			vals []byte
		)
		for iter.Scan(&v.User, &v.Session, &v.Seq, &v.At, &vals) {
			values, err := store.DecodeValues(vals)
			if err != nil {
				iter.Close()
				return nil, false, fmt.Errorf("%s/%s/%d: %w", v.User, v.Session, v.Seq, err)
			}
			run = append(run, store.Vector{User: v.User, Session: v.Session, Seq: v.Seq, At: v.At.UTC(), Values: values})
		}
		if err := iter.Close(); err != nil {
			return nil, false, err
		}
		kept := run[:0]
		for _, v := range run {
			k := [2]string{v.User, v.Session}
			a, ok := alerted[k]
			if !ok {
				err := s.s.Query(`SELECT alerted FROM sessions WHERE uid = ? AND id = ?`, v.User, v.Session).ScanContext(ctx, &a)
				if err != nil && !errors.Is(err, gocql.ErrNotFound) {
					return nil, false, err
				}
				alerted[k] = a
			}
			if !a {
				kept = append(kept, v)
			}
		}
		return kept, len(run) > 0, nil
	}
	out, err := store.Sample(seed, n, func(r *rand.Rand) ([]store.Vector, error) {
		tok := int64(r.Uint64())
		run, any, err := read(tok)
		if err == nil && !any && tok != math.MinInt64 {
			run, _, err = read(math.MinInt64) // past the highest token: wrap around
		}
		return run, err
	})
	if err != nil {
		return nil, wrap("sample vectors", err)
	}
	return out, nil
}

// Counts implements store.Profiles.
func (s *Store) Counts(ctx context.Context, user string) (vectors, decisions int64, err error) {
	if err = s.s.Query(`SELECT COUNT(*) FROM vectors WHERE uid = ?`, user).ScanContext(ctx, &vectors); err != nil {
		return 0, 0, wrap("count vectors", err)
	}
	if err = s.s.Query(`SELECT COUNT(*) FROM decisions WHERE uid = ?`, user).ScanContext(ctx, &decisions); err != nil {
		return 0, 0, wrap("count decisions", err)
	}
	return vectors, decisions, nil
}

const sessionCols = `client, accepted, reason, alerted, started, mac_key`

// CreateSession implements store.Profiles with INSERT ... IF NOT EXISTS; when
// it does not apply, Cassandra returns the stored row.
func (s *Store) CreateSession(ctx context.Context, ss store.Session) (bool, store.Session, error) {
	row := map[string]any{}
	created, err := s.s.Query(`INSERT INTO sessions (uid, id, `+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
		ss.User, ss.ID, ss.Client, ss.Accepted, ss.Reason, ss.Alerted, ss.Started, ss.Key).MapScanCASContext(ctx, row)
	if err != nil {
		return false, store.Session{}, wrap(fmt.Sprintf("create session %s/%s", ss.User, ss.ID), err)
	}
	if created {
		return true, ss, nil
	}
	stored := store.Session{User: ss.User, ID: ss.ID}
	stored.Client, _ = row["client"].(string)
	stored.Accepted, _ = row["accepted"].(bool)
	stored.Reason, _ = row["reason"].(string)
	stored.Alerted, _ = row["alerted"].(bool)
	if t, ok := row["started"].(time.Time); ok {
		stored.Started = t.UTC()
	}
	if k, ok := row["mac_key"].([]byte); ok && len(k) > 0 {
		stored.Key = k
	}
	return false, stored, nil
}

// MarkAlerted implements store.Profiles with a lightweight transaction, as
// the session was created with one (mixing the two on a row can order its
// writes by clocks instead of Paxos).
func (s *Store) MarkAlerted(ctx context.Context, user, id string) error {
	applied, err := s.s.Query(`UPDATE sessions SET alerted = ? WHERE uid = ? AND id = ? IF EXISTS`, true, user, id).
		MapScanCASContext(ctx, map[string]any{})
	what := fmt.Sprintf("mark session %s/%s alerted", user, id)
	if err != nil {
		return wrap(what, err)
	}
	if !applied {
		return wrap(what, store.ErrNotFound)
	}
	return nil
}

// Session implements store.Profiles.
func (s *Store) Session(ctx context.Context, user, id string) (store.Session, error) {
	ss := store.Session{User: user, ID: id}
	err := s.s.Query(`SELECT `+sessionCols+` FROM sessions WHERE uid = ? AND id = ?`, user, id).
		ScanContext(ctx, &ss.Client, &ss.Accepted, &ss.Reason, &ss.Alerted, &ss.Started, &ss.Key)
	if err != nil {
		return store.Session{}, wrap(fmt.Sprintf("session %s/%s", user, id), err)
	}
	if len(ss.Key) == 0 {
		ss.Key = nil
	}
	ss.Started = ss.Started.UTC()
	return ss, nil
}

// maxBatchBytes bounds the values of one Cassandra batch, below the default
// batch_size_fail_threshold of 50 KiB (a vector is about 330 bytes, so a
// batch holds about 70 vectors or 250 decisions). Batches above the default
// warn threshold of 5 KiB are logged by the server: raise
// batch_size_warn_threshold to 32 KiB on clusters this store writes to.
const maxBatchBytes = 24 << 10

// batchConcurrency bounds the batches of one PutBatch in flight at once.
const batchConcurrency = 8

// insertTable is how PutBatch writes one kind of row.
type insertTable[T store.Vector | store.Decision] struct {
	stmt string
	args func(T) []any
	size func(T) int
}

var (
	vectorInsert = insertTable[store.Vector]{
		`INSERT INTO vectors (uid, session, seq, at, vals) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS`,
		func(v store.Vector) []any { return []any{v.User, v.Session, v.Seq, v.At, store.EncodeValues(v.Values)} },
		func(v store.Vector) int { return len(v.User) + len(v.Session) + 16 + 8*len(v.Values) },
	}
	decisionInsert = insertTable[store.Decision]{
		`INSERT INTO decisions (uid, session, seq, score, mean, win, threshold, accept, alert, judged, flags, model_version, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
		func(d store.Decision) []any {
			return []any{d.User, d.Session, d.Seq, d.Score, d.Statistic, d.Window, d.Threshold, d.Accept, d.Alert, d.Judged, d.Flags, d.ModelVersion, d.At}
		},
		func(d store.Decision) int { return len(d.User) + len(d.Session) + 8*6 + 3 + 4*3 },
	}
)

// PutBatch implements store.Profiles. A lightweight transaction cannot span
// partitions, and a batch with conditions must stay in one partition of one
// table: so the vectors, then the decisions, go as one unlogged batch of
// INSERT ... IF NOT EXISTS per user (split to stay under maxBatchBytes), up
// to batchConcurrency at a time. Such a batch applies all of its inserts or
// none; when some keys exist, Cassandra returns their rows, and the batch
// goes again without them until it applies. Each batch is one Paxos round
// instead of one per row. A failed PutBatch may have stored some users'
// rows: a retry reports those as not inserted.
func (s *Store) PutBatch(ctx context.Context, vs []store.Vector, ds []store.Decision) ([]bool, []bool, error) {
	iv, id := make([]bool, len(vs)), make([]bool, len(ds))
	what := fmt.Sprintf("put batch of %d vectors and %d decisions", len(vs), len(ds))
	if err := putRows(ctx, s.s, vectorInsert, vs, iv); err != nil {
		return nil, nil, wrap(what, err)
	}
	if err := faultpoint.Check(ctx, faultpoint.BatchVectorsWritten); err != nil {
		return nil, nil, wrap(what, err)
	}
	if err := putRows(ctx, s.s, decisionInsert, ds, id); err != nil {
		return nil, nil, wrap(what, err)
	}
	return iv, id, nil
}

// putRows writes xs with one conditional batch per user (and size limit)
// and sets inserted[i] for each row stored.
func putRows[T store.Vector | store.Decision](ctx context.Context, sess *gocql.Session, t insertTable[T], xs []T, inserted []bool) error {
	uniq := keys.Unique(xs) // sorted by key, so each user's rows are together
	var g errgroup.Group
	g.SetLimit(batchConcurrency)
	for len(uniq) > 0 {
		user := keys.Of(xs[uniq[0]]).User
		n, size := 0, 0
		for n < len(uniq) && keys.Of(xs[uniq[n]]).User == user && (n == 0 || size+t.size(xs[uniq[n]]) <= maxBatchBytes) {
			size += t.size(xs[uniq[n]])
			n++
		}
		chunk := uniq[:n]
		uniq = uniq[n:]
		g.Go(func() error { return putPartition(ctx, sess, t, xs, chunk, inserted) })
	}
	return g.Wait()
}

// putPartition writes xs[i], i in idx, all of one user, in one conditional
// batch, again without the keys that exist until it applies.
func putPartition[T store.Vector | store.Decision](ctx context.Context, sess *gocql.Session, t insertTable[T], xs []T, idx []int, inserted []bool) error {
	for len(idx) > 0 {
		b := sess.Batch(gocql.UnloggedBatch)
		for _, i := range idx {
			b.Query(t.stmt, t.args(xs[i])...)
		}
		row := map[string]any{}
		applied, iter, err := b.MapExecCASContext(ctx, row)
		if err != nil {
			if iter != nil {
				iter.Close()
			}
			return err
		}
		if applied {
			for _, i := range idx {
				inserted[i] = true
			}
			return iter.Close()
		}
		// Not applied: the rows that exist come back, one per row.
		exists := map[keys.Key]bool{}
		for {
			session, _ := row["session"].(string)
			seq, _ := row["seq"].(int64)
			exists[keys.Key{User: keys.Of(xs[idx[0]]).User, Session: session, Seq: seq}] = true
			row = map[string]any{}
			if !iter.MapScan(row) {
				break
			}
		}
		if err := iter.Close(); err != nil {
			return err
		}
		rest := idx[:0:0]
		for _, i := range idx {
			if !exists[keys.Of(xs[i])] {
				rest = append(rest, i)
			}
		}
		if len(rest) == len(idx) {
			return fmt.Errorf("a conditional batch of %d rows did not apply, yet named no existing row", len(idx))
		}
		idx = rest
	}
	return nil
}
