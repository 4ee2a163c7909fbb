package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/internal/faultpoint"
	"github.com/mouseauth/mouseauth/live/store/internal/keys"
)

// Dialect is what differs between the SQL backends.
type Dialect struct {
	Name string
	// Blob, LongBlob and Text are column types.
	Blob, LongBlob, Text string
	// ExactText is the type of a text column that compares byte by byte
	// (no case folding, no trailing-space padding).
	ExactText string
	// InsertNew turns "INSERT INTO t (cols) VALUES (...), ..." into a
	// statement that inserts nothing, without error, for a row whose
	// primary key exists, and counts only inserted rows as affected.
	InsertNew func(stmt string) string
	// Greatest is the SQL function of the larger of two values.
	Greatest string
	// ColumnExists is a query of one row and column, the number of columns
	// named ?2 in table ?1 (0 or 1).
	ColumnExists string
	// Retryable reports an error after which a transaction is worth
	// running again (a deadlock); nil means none is.
	Retryable func(error) bool
	// RowByRow makes PutBatch run one prepared single-row INSERT per row
	// instead of multi-row INSERTs: for an in-process database parsing a
	// statement of hundreds of rows costs more than the calls it saves.
	// Its rows also run under a context that cannot end, checked between
	// them (the database's rows never wait for a lock: PutBatch).
	RowByRow bool
	// Prepare runs every statement outside transactions as a statement
	// prepared once per database and kept (on each connection as it
	// serves it): an in-process database parses a statement for every
	// call otherwise, which was two thirds of a point read's CPU (a
	// login's credential, a session).
	Prepare bool
	// Pos is the column of a vector's position in insertion order, which
	// SampleVectors seeks into (SQLite's rowid; a column the migrations
	// add elsewhere). PosDDL adds it to a vectors table that has none.
	Pos, PosDDL string
}

// SQLite is the embedded store's dialect.
var SQLite = Dialect{Name: "sqlite", Blob: "BLOB", LongBlob: "BLOB", Text: "TEXT", ExactText: "TEXT",
	InsertNew:    func(s string) string { return s + " ON CONFLICT DO NOTHING" },
	Greatest:     "MAX",
	ColumnExists: `SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`,
	RowByRow:     true,
	Prepare:      true,
	Pos:          "rowid"}

// MySQL is MySQL's and MariaDB's dialect. ON DUPLICATE KEY UPDATE of a key
// column to itself affects 0 rows (unless the connection asks for found
// rows, which the mysql package forbids), unlike INSERT IGNORE, which would
// also turn truncation and other data errors into warnings.
//
// InnoDB has no row number to seek into, so vectors get pos, an
// AUTO_INCREMENT column with a unique index (ALTER TABLE numbers the rows
// already stored): appending to it costs an insert little, and a sample
// seeks in it instead of scanning.
var MySQL = Dialect{Name: "mysql", Blob: "MEDIUMBLOB", LongBlob: "LONGBLOB", Text: "VARCHAR(191)", ExactText: "VARBINARY(1024)",
	InsertNew: func(s string) string { return s + " ON DUPLICATE KEY UPDATE uid = uid" },
	Greatest:  "GREATEST",
	ColumnExists: `SELECT COUNT(*) FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`,
	Pos:    "pos",
	PosDDL: `ALTER TABLE vectors ADD COLUMN pos BIGINT NOT NULL AUTO_INCREMENT, ADD UNIQUE KEY vectors_pos (pos)`}

// Store is a store over db. It implements store.Profiles and
// store.Credentials.
type Store struct {
	db *sql.DB // writes, and reads inside a transaction
	r  *sql.DB // the other reads: db, or a pool of its own (Reader)
	d  Dialect

	// rowInsert holds PutBatch's single-row INSERTs by table, prepared in
	// New (with RowByRow): with one connection, as SQLite has, preparing
	// one inside a transaction would wait for the connection it holds.
	rowInsert map[string]*sql.Stmt

	// stmts holds the statements prepared with Dialect.Prepare, by
	// database and text.
	stmtMu sync.Mutex
	stmts  map[stmtKey]*sql.Stmt
}

type stmtKey struct {
	db *sql.DB
	q  string
}

var (
	_ store.Profiles    = (*Store)(nil)
	_ store.Credentials = (*Store)(nil)
)

// Option configures New.
type Option func(*Store)

// Reader makes the store read through r, outside transactions, instead of
// the database it writes to: for SQLite, whose one write connection would
// otherwise make every read wait for the write transaction in progress (WAL
// lets readers on other connections run beside the writer and see every
// committed write). Close closes r too.
func Reader(r *sql.DB) Option { return func(s *Store) { s.r = r } }

// New wraps db. With create it creates missing tables and adds the columns
// later versions added to existing ones; without, it checks they are there
// and refuses an older schema with store.ErrSchema.
func New(ctx context.Context, db *sql.DB, d Dialect, create bool, opts ...Option) (*Store, error) {
	s := &Store{db: db, r: db, d: d}
	for _, o := range opts {
		o(s)
	}
	if create {
		for _, q := range s.schema() {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return nil, fmt.Errorf("%s: create schema: %w", d.Name, err)
			}
		}
	}
	for _, m := range s.migrations() {
		var n int
		if err := db.QueryRowContext(ctx, d.ColumnExists, m.table, m.column).Scan(&n); err != nil {
			return nil, fmt.Errorf("%s: check schema: %w", d.Name, err)
		}
		if n > 0 {
			continue
		}
		if !create {
			return nil, fmt.Errorf("%s: table %s has no column %s (tables of an older mouseauth): open once with the schema "+
				"created (CreateSchema) to add it, or run %q: %w", d.Name, m.table, m.column, m.ddl, store.ErrSchema)
		}
		if _, err := db.ExecContext(ctx, m.ddl); err != nil {
			return nil, fmt.Errorf("%s: add column %s to table %s: %w", d.Name, m.column, m.table, err)
		}
	}
	if d.RowByRow {
		s.rowInsert = map[string]*sql.Stmt{}
		for _, t := range []struct{ name, cols string }{{vectorTable.name, vectorTable.cols}, {decisionTable.name, decisionTable.cols}} {
			st, err := db.PrepareContext(ctx, d.InsertNew(`INSERT INTO `+t.name+` (`+t.cols+`) VALUES `+rowOf(t.cols)))
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("%s: prepare insert into %s: %w", d.Name, t.name, err)
			}
			s.rowInsert[t.name] = st
		}
	}
	return s, nil
}

// rowOf returns the VALUES row of bind markers for a column list.
func rowOf(cols string) string {
	return "(?" + strings.Repeat(", ?", strings.Count(cols, ",")) + ")"
}

func (s *Store) schema() []string {
	t, b, lb := s.d.Text, s.d.Blob, s.d.LongBlob
	// Times are Unix milliseconds in BIGINT: exact, and the same in every
	// backend (Cassandra keeps milliseconds).
	return []string{
		`CREATE TABLE IF NOT EXISTS models (uid ` + t + ` NOT NULL, version INT NOT NULL, data ` + lb + ` NOT NULL,
			created BIGINT NOT NULL, vectors BIGINT NOT NULL, PRIMARY KEY (uid, version))`,
		`CREATE TABLE IF NOT EXISTS vectors (uid ` + t + ` NOT NULL, session ` + t + ` NOT NULL, seq BIGINT NOT NULL,
			at BIGINT NOT NULL, vals ` + b + ` NOT NULL, PRIMARY KEY (uid, session, seq))`,
		`CREATE TABLE IF NOT EXISTS decisions (uid ` + t + ` NOT NULL, session ` + t + ` NOT NULL, seq BIGINT NOT NULL,
			score DOUBLE PRECISION NOT NULL, mean DOUBLE PRECISION NOT NULL, win INT NOT NULL, threshold DOUBLE PRECISION NOT NULL,
			accept SMALLINT NOT NULL, alert SMALLINT NOT NULL, model_version INT NOT NULL, at BIGINT NOT NULL,
			PRIMARY KEY (uid, session, seq))`,
		// mac_key is added by a migration, so old and new databases end up
		// with the same table.
		`CREATE TABLE IF NOT EXISTS sessions (uid ` + t + ` NOT NULL, id ` + t + ` NOT NULL, client ` + t + ` NOT NULL,
			accepted SMALLINT NOT NULL, reason ` + t + ` NOT NULL, alerted SMALLINT NOT NULL, started BIGINT NOT NULL,
			PRIMARY KEY (uid, id))`,
		`CREATE TABLE IF NOT EXISTS credentials (uid ` + t + ` NOT NULL, department ` + t + ` NOT NULL,
			hash ` + t + ` NOT NULL, failures INT NOT NULL, locked_until BIGINT NOT NULL, PRIMARY KEY (uid))`,
	}
}

// migration is a column a later version added to a table (or a table a
// later version added, named by its first column).
type migration struct{ table, column, ddl string }

func (s *Store) migrations() []migration {
	t := s.d.ExactText
	m := []migration{
		// The session's sealed MAC key (store.Session.Key); NULL in rows
		// written before it existed.
		{"sessions", "mac_key", `ALTER TABLE sessions ADD COLUMN mac_key ` + s.d.Blob + ` NULL`},
		// store.Decision.Judged; false in rows written before it existed.
		{"decisions", "judged", `ALTER TABLE decisions ADD COLUMN judged SMALLINT NOT NULL DEFAULT 0`},
		// store.Decision.Flags; 0 in rows written before it existed.
		{"decisions", "flags", `ALTER TABLE decisions ADD COLUMN flags SMALLINT NOT NULL DEFAULT 0`},
		// The user's latest failure (store.Credential.LastFailure), from
		// which the per-user backoff runs. Rows of the versions that
		// locked the account for a fixed time get 0: their lock
		// (locked_until, no longer read) is lifted, their count kept.
		{"credentials", "last_failure", `ALTER TABLE credentials ADD COLUMN last_failure BIGINT NOT NULL DEFAULT 0`},
		// Failures per (user, client): store.ClientFailures. Its names
		// compare exactly: "WS-1" is not "ws-1".
		{"login_failures", "uid", `CREATE TABLE IF NOT EXISTS login_failures (uid ` + t + ` NOT NULL, client ` + t + ` NOT NULL,
			failures INT NOT NULL, last_failure BIGINT NOT NULL, last_success BIGINT NOT NULL, PRIMARY KEY (uid, client))`},
	}
	if s.d.PosDDL != "" {
		m = append(m, migration{"vectors", s.d.Pos, s.d.PosDDL})
	}
	return m
}

// Close closes the database.
func (s *Store) Close() error {
	for _, st := range s.rowInsert {
		st.Close()
	}
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmtMu.Unlock()
	err := s.db.Close()
	if s.r != s.db {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// prepared returns q prepared on db, preparing it on first use, or nil
// without Dialect.Prepare or when it does not prepare (the caller then
// runs q as text, which reports the error).
func (s *Store) prepared(ctx context.Context, db *sql.DB, q string) *sql.Stmt {
	if !s.d.Prepare {
		return nil
	}
	k := stmtKey{db, q}
	s.stmtMu.Lock()
	st := s.stmts[k]
	s.stmtMu.Unlock()
	if st != nil {
		return st
	}
	// Prepared without the lock: preparing on the write connection waits
	// for the transaction that holds it.
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if had := s.stmts[k]; had != nil {
		st.Close() // another call prepared it meanwhile
		return had
	}
	if s.stmts == nil {
		s.stmts = map[stmtKey]*sql.Stmt{}
	}
	s.stmts[k] = st
	return st
}

// queryRow and query read through the read pool, exec writes through the
// write connection, outside transactions; q is a statement's fixed text.
func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := s.prepared(ctx, s.r, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.r.QueryRowContext(ctx, q, args...)
}

func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := s.prepared(ctx, s.r, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.r.QueryContext(ctx, q, args...)
}

func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := s.prepared(ctx, s.db, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return s.db.ExecContext(ctx, q, args...)
}

func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %s: %w", s.d.Name, op, store.ErrNotFound)
	}
	return fmt.Errorf("%s: %s: %w", s.d.Name, op, err)
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Store) insertNew(ctx context.Context, op, stmt string, args ...any) (bool, error) {
	res, err := s.exec(ctx, s.d.InsertNew(stmt), args...)
	if err != nil {
		return false, s.wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.wrap(op, err)
	}
	return n == 1, nil
}

// PutModel implements store.Models.
func (s *Store) PutModel(ctx context.Context, m store.Model) error {
	ok, err := s.insertNew(ctx, "put model", `INSERT INTO models (uid, version, data, created, vectors) VALUES (?, ?, ?, ?, ?)`,
		m.User, m.Version, m.Data, ms(m.Created), m.Vectors)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s: put model %s v%d: %w", s.d.Name, m.User, m.Version, store.ErrVersionExists)
	}
	return nil
}

// LatestModel implements store.Models.
func (s *Store) LatestModel(ctx context.Context, user string) (store.Model, error) {
	m := store.Model{User: user}
	var created int64
	err := s.queryRow(ctx, `SELECT version, data, created, vectors FROM models WHERE uid = ? ORDER BY version DESC LIMIT 1`, user).
		Scan(&m.Version, &m.Data, &created, &m.Vectors)
	m.Created = fromMS(created)
	return m, s.wrap("latest model of "+user, err)
}

// ModelUsers implements store.Models.
func (s *Store) ModelUsers(ctx context.Context) ([]string, error) {
	rows, err := s.query(ctx, `SELECT DISTINCT uid FROM models ORDER BY uid`)
	if err != nil {
		return nil, s.wrap("model users", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, s.wrap("model users", err)
		}
		out = append(out, u)
	}
	return out, s.wrap("model users", rows.Err())
}

const decisionCols = `seq, score, mean, win, threshold, accept, alert, judged, flags, model_version, at`

func scanDecision(sc interface{ Scan(...any) error }, user, session string) (store.Decision, error) {
	d := store.Decision{User: user, Session: session}
	var accept, alert, judged int
	var at int64
	err := sc.Scan(&d.Seq, &d.Score, &d.Statistic, &d.Window, &d.Threshold, &accept, &alert, &judged, &d.Flags, &d.ModelVersion, &at)
	d.Accept, d.Alert, d.Judged, d.At = accept != 0, alert != 0, judged != 0, fromMS(at)
	return d, err
}

// Decision implements store.Profiles.
func (s *Store) Decision(ctx context.Context, user, session string, seq int64) (store.Decision, error) {
	row := s.queryRow(ctx, `SELECT `+decisionCols+` FROM decisions WHERE uid = ? AND session = ? AND seq = ?`, user, session, seq)
	d, err := scanDecision(row, user, session)
	return d, s.wrap("decision", err)
}

// RecentDecisions implements store.Profiles.
func (s *Store) RecentDecisions(ctx context.Context, user, session string, before int64, n int) ([]store.Decision, error) {
	rows, err := s.query(ctx, `SELECT `+decisionCols+` FROM decisions WHERE uid = ? AND session = ? AND seq < ?
		ORDER BY seq DESC LIMIT ?`, user, session, before, n)
	if err != nil {
		return nil, s.wrap("recent decisions", err)
	}
	defer rows.Close()
	var out []store.Decision
	for rows.Next() {
		d, err := scanDecision(rows, user, session)
		if err != nil {
			return nil, s.wrap("recent decisions", err)
		}
		out = append(out, d)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, s.wrap("recent decisions", rows.Err())
}

// RecentVectors implements store.Profiles.
func (s *Store) RecentVectors(ctx context.Context, user, session string, before int64, n int) ([]store.Vector, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, vals FROM vectors WHERE uid = ? AND session = ? AND seq < ?
		ORDER BY seq DESC LIMIT ?`, user, session, before, n)
	if err != nil {
		return nil, s.wrap("recent vectors", err)
	}
	defer rows.Close()
	var out []store.Vector
	for rows.Next() {
		v := store.Vector{User: user, Session: session}
		var at int64
		var blob []byte
		if err := rows.Scan(&v.Seq, &at, &blob); err != nil {
			return nil, s.wrap("recent vectors", err)
		}
		v.At = fromMS(at)
		if v.Values, err = store.DecodeValues(blob); err != nil {
			return nil, s.wrap("recent vectors", err)
		}
		out = append(out, v)
	}
	slices.Reverse(out)
	return out, s.wrap("recent vectors", rows.Err())
}

// Vectors implements store.Profiles.
func (s *Store) Vectors(ctx context.Context, user string, limit int) ([]store.Vector, error) {
	rows, err := s.query(ctx, `SELECT v.session, v.seq, v.at, v.vals FROM vectors v
		LEFT JOIN sessions s ON s.uid = v.uid AND s.id = v.session
		WHERE v.uid = ? AND COALESCE(s.alerted, 0) = 0
		ORDER BY COALESCE(s.started, 0) DESC, v.session, v.seq LIMIT ?`, user, limit)
	if err != nil {
		return nil, s.wrap("vectors", err)
	}
	defer rows.Close()
	var out []store.Vector
	for rows.Next() {
		v := store.Vector{User: user}
		var at int64
		var blob []byte
		if err := rows.Scan(&v.Session, &v.Seq, &at, &blob); err != nil {
			return nil, s.wrap("vectors", err)
		}
		v.At = fromMS(at)
		if v.Values, err = store.DecodeValues(blob); err != nil {
			return nil, s.wrap("vectors", err)
		}
		out = append(out, v)
	}
	return out, s.wrap("vectors", rows.Err())
}

// LabeledVectors implements store.Profiles: one query joining each vector
// with its session and its decision.
func (s *Store) LabeledVectors(ctx context.Context, user string, alerted bool, limit int) ([]store.LabeledVector, error) {
	rows, err := s.query(ctx, `SELECT v.session, v.seq, v.at, v.vals, d.seq IS NOT NULL,
		COALESCE(d.score, 0), COALESCE(d.mean, 0), COALESCE(d.win, 0), COALESCE(d.threshold, 0), COALESCE(d.accept, 0),
		COALESCE(d.alert, 0), COALESCE(d.judged, 0), COALESCE(d.flags, 0), COALESCE(d.model_version, 0), COALESCE(d.at, 0)
		FROM vectors v
		JOIN sessions s ON s.uid = v.uid AND s.id = v.session
		LEFT JOIN decisions d ON d.uid = v.uid AND d.session = v.session AND d.seq = v.seq
		WHERE v.uid = ? AND s.alerted = ?
		ORDER BY s.started DESC, v.session, v.seq LIMIT ?`, user, b2i(alerted), limit)
	if err != nil {
		return nil, s.wrap("labeled vectors of "+user, err)
	}
	defer rows.Close()
	var out []store.LabeledVector
	for rows.Next() {
		x := store.LabeledVector{Vector: store.Vector{User: user}, SessionAlerted: alerted}
		var at, dat int64
		var blob []byte
		var decided, accept, alert, judged int
		d := &x.Decision
		if err := rows.Scan(&x.Session, &x.Seq, &at, &blob, &decided, &d.Score, &d.Statistic, &d.Window, &d.Threshold,
			&accept, &alert, &judged, &d.Flags, &d.ModelVersion, &dat); err != nil {
			return nil, s.wrap("labeled vectors of "+user, err)
		}
		x.At = fromMS(at)
		if x.Values, err = store.DecodeValues(blob); err != nil {
			return nil, s.wrap("labeled vectors of "+user, err)
		}
		if x.Decided = decided != 0; x.Decided {
			d.User, d.Session, d.Seq = user, x.Session, x.Seq
			d.Accept, d.Alert, d.Judged, d.At = accept != 0, alert != 0, judged != 0, fromMS(dat)
		}
		out = append(out, x)
	}
	return out, s.wrap("labeled vectors of "+user, rows.Err())
}

// SampleVectors implements store.Profiles: it seeks to positions drawn
// uniformly between the first and the last vector's (Dialect.Pos, which
// follows insertion order) and reads store.SampleRun vectors from each, so
// each call reads about n rows however many users there are; when the
// positions span no more than n, it reads them all at once.
func (s *Store) SampleVectors(ctx context.Context, seed int64, n int) ([]store.Vector, error) {
	if n <= 0 {
		return nil, nil
	}
	pos := s.d.Pos
	var lo, hi sql.NullInt64
	if err := s.queryRow(ctx, `SELECT MIN(`+pos+`), MAX(`+pos+`) FROM vectors`).Scan(&lo, &hi); err != nil {
		return nil, s.wrap("sample vectors", err)
	}
	if !lo.Valid {
		return nil, nil
	}
	q := `SELECT v.uid, v.session, v.seq, v.at, v.vals FROM vectors v
		LEFT JOIN sessions s ON s.uid = v.uid AND s.id = v.session
		WHERE v.` + pos + ` >= ? AND COALESCE(s.alerted, 0) = 0 ORDER BY v.` + pos + ` LIMIT ?`
	read := func(from int64, limit int) ([]store.Vector, error) {
		rows, err := s.query(ctx, q, from, limit)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var run []store.Vector
		for rows.Next() {
			var v store.Vector
			var at int64
			var blob []byte
			if err := rows.Scan(&v.User, &v.Session, &v.Seq, &at, &blob); err != nil {
				return nil, err
			}
			v.At = fromMS(at)
			if v.Values, err = store.DecodeValues(blob); err != nil {
				return nil, err
			}
			run = append(run, v)
		}
		return run, rows.Err()
	}
	var out []store.Vector
	var err error
	if hi.Int64-lo.Int64 < int64(n) {
		out, err = read(lo.Int64, n) // no more than n stored: one read of them all
	} else {
		out, err = store.Sample(seed, n, func(r *rand.Rand) ([]store.Vector, error) {
			return read(lo.Int64+r.Int64N(hi.Int64-lo.Int64+1), store.SampleRun)
		})
	}
	if err != nil {
		return nil, s.wrap("sample vectors", err)
	}
	return out, nil
}

// Counts implements store.Profiles.
func (s *Store) Counts(ctx context.Context, user string) (vectors, decisions int64, err error) {
	if err = s.queryRow(ctx, `SELECT COUNT(*) FROM vectors WHERE uid = ?`, user).Scan(&vectors); err != nil {
		return 0, 0, s.wrap("count vectors", err)
	}
	err = s.queryRow(ctx, `SELECT COUNT(*) FROM decisions WHERE uid = ?`, user).Scan(&decisions)
	return vectors, decisions, s.wrap("count decisions", err)
}

const sessionCols = `client, accepted, reason, alerted, started, mac_key`

// CreateSession implements store.Profiles.
func (s *Store) CreateSession(ctx context.Context, x store.Session) (bool, store.Session, error) {
	created, err := s.insertNew(ctx, "create session", `INSERT INTO sessions (uid, id, `+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		x.User, x.ID, x.Client, b2i(x.Accepted), x.Reason, b2i(x.Alerted), ms(x.Started), x.Key)
	if err != nil || created {
		return created, x, err
	}
	// Sessions are never deleted: the row that won is there to read.
	stored, err := s.Session(ctx, x.User, x.ID)
	return false, stored, err
}

// MarkAlerted implements store.Profiles.
func (s *Store) MarkAlerted(ctx context.Context, user, id string) error {
	res, err := s.exec(ctx, `UPDATE sessions SET alerted = 1 WHERE uid = ? AND id = ?`, user, id)
	return s.updated(ctx, "mark session "+user+"/"+id+" alerted", res, err, `SELECT 1 FROM sessions WHERE uid = ? AND id = ?`, user, id)
}

// updated checks the result of an UPDATE of one row: ErrNotFound when the
// row does not exist. MySQL reports 0 rows also when the values did not
// change, so 0 is told apart by looking for the row with exists.
func (s *Store) updated(ctx context.Context, op string, res sql.Result, err error, exists string, args ...any) error {
	if err != nil {
		return s.wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.wrap(op, err)
	}
	if n == 0 {
		var one int
		return s.wrap(op, s.queryRow(ctx, exists, args...).Scan(&one))
	}
	return nil
}

// Session implements store.Profiles.
func (s *Store) Session(ctx context.Context, user, id string) (store.Session, error) {
	x := store.Session{User: user, ID: id}
	var accepted, alerted int
	var started int64
	err := s.queryRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE uid = ? AND id = ?`, user, id).
		Scan(&x.Client, &accepted, &x.Reason, &alerted, &started, &x.Key)
	x.Accepted, x.Alerted, x.Started = accepted != 0, alerted != 0, fromMS(started)
	if len(x.Key) == 0 {
		x.Key = nil
	}
	return x, s.wrap("session", err)
}

// PutCredential implements store.Credentials. locked_until, the lock of
// older versions, is written 0 and never read.
func (s *Store) PutCredential(ctx context.Context, c store.Credential) error {
	_, err := s.exec(ctx, `REPLACE INTO credentials (uid, department, hash, failures, locked_until, last_failure) VALUES (?, ?, ?, ?, 0, ?)`,
		c.User, c.Department, c.Hash, c.Failures, ms(c.LastFailure))
	return s.wrap("put credential", err)
}

// Credential implements store.Credentials.
func (s *Store) Credential(ctx context.Context, user string) (store.Credential, error) {
	return s.credential(ctx, reader{s}, user)
}

// reader is the querier of the store's read connections (prepared once).
type reader struct{ s *Store }

func (r reader) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return r.s.queryRow(ctx, q, args...)
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) credential(ctx context.Context, q querier, user string) (store.Credential, error) {
	c := store.Credential{User: user}
	var last int64
	err := q.QueryRowContext(ctx, `SELECT department, hash, failures, last_failure FROM credentials WHERE uid = ?`, user).
		Scan(&c.Department, &c.Hash, &c.Failures, &last)
	c.LastFailure = fromMS(last)
	return c, s.wrap("credential of "+user, err)
}

// ClientFailures implements store.Credentials.
func (s *Store) ClientFailures(ctx context.Context, user, client string) (store.ClientFailures, error) {
	f, err := s.clientFailures(ctx, s.db, user, client)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ClientFailures{User: user, Client: client}, nil
	}
	return f, s.wrap("failures of "+user+" from "+client, err)
}

func (s *Store) clientFailures(ctx context.Context, q querier, user, client string) (store.ClientFailures, error) {
	f := store.ClientFailures{User: user, Client: client}
	var last, ok int64
	err := q.QueryRowContext(ctx, `SELECT failures, last_failure, last_success FROM login_failures WHERE uid = ? AND client = ?`, user, client).
		Scan(&f.Failures, &last, &ok)
	f.LastFailure, f.LastSuccess = fromMS(last), fromMS(ok)
	return f, err
}

// RecordFailure implements store.Credentials: in one transaction, one
// UPDATE counts the user's failure (none: no such user), one UPDATE or
// INSERT the pair's, and both rows are read back. Two transactions that
// both find no pair row and both insert it are a duplicate key for one of
// them, whose UPDATE then counts.
func (s *Store) RecordFailure(ctx context.Context, user, client string, now time.Time) (store.Credential, store.ClientFailures, error) {
	var c store.Credential
	var f store.ClientFailures
	at := now.UnixMilli()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE credentials SET failures = failures + 1, last_failure = `+s.d.Greatest+`(last_failure, ?) WHERE uid = ?`, at, user)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = sql.ErrNoRows // failures always changes: 0 rows is no such user
			}
			return err
		}
		for range 2 {
			res, err = tx.ExecContext(ctx, `UPDATE login_failures SET failures = failures + 1, last_failure = `+s.d.Greatest+`(last_failure, ?)
				WHERE uid = ? AND client = ?`, at, user, client)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n > 0 {
				break
			}
			res, err = tx.ExecContext(ctx, s.d.InsertNew(`INSERT INTO login_failures (uid, client, failures, last_failure, last_success) VALUES (?, ?, 1, ?, 0)`), user, client, at)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n > 0 {
				break
			}
		}
		if c, err = s.credential(ctx, tx, user); err != nil {
			return err
		}
		f, err = s.clientFailures(ctx, tx, user, client)
		return err
	})
	if err != nil {
		return store.Credential{}, store.ClientFailures{}, s.wrap("record failure of "+user+" from "+client, err)
	}
	return c, f, nil
}

// RecordSuccess implements store.Credentials.
func (s *Store) RecordSuccess(ctx context.Context, user, client string, now time.Time) error {
	at := now.UnixMilli()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM credentials WHERE uid = ?`, user).Scan(&one); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE credentials SET failures = 0 WHERE uid = ?`, user); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.d.InsertNew(`INSERT INTO login_failures (uid, client, failures, last_failure, last_success) VALUES (?, ?, 0, 0, ?)`), user, client, at)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE login_failures SET failures = 0, last_success = `+s.d.Greatest+`(last_success, ?) WHERE uid = ? AND client = ?`, at, user, client)
		return err
	})
	return s.wrap("record success of "+user+" from "+client, err)
}

// Lockouts implements store.Credentials.
func (s *Store) Lockouts(ctx context.Context) ([]store.ClientFailures, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT uid, '', failures, last_failure, 0 FROM credentials WHERE failures > 0
		UNION ALL SELECT uid, client, failures, last_failure, last_success FROM login_failures WHERE failures > 0 ORDER BY 1, 2`)
	if err != nil {
		return nil, s.wrap("lockouts", err)
	}
	defer rows.Close()
	var out []store.ClientFailures
	for rows.Next() {
		var f store.ClientFailures
		var last, ok int64
		if err := rows.Scan(&f.User, &f.Client, &f.Failures, &last, &ok); err != nil {
			return nil, s.wrap("lockouts", err)
		}
		f.LastFailure, f.LastSuccess = fromMS(last), fromMS(ok)
		out = append(out, f)
	}
	return out, s.wrap("lockouts", rows.Err())
}

// Unlock implements store.Credentials.
func (s *Store) Unlock(ctx context.Context, user, client string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM credentials WHERE uid = ?`, user).Scan(&one); err != nil {
			return err
		}
		if client != "" {
			_, err := tx.ExecContext(ctx, `UPDATE login_failures SET failures = 0 WHERE uid = ? AND client = ?`, user, client)
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE credentials SET failures = 0 WHERE uid = ?`, user); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE login_failures SET failures = 0 WHERE uid = ?`, user)
		return err
	})
	return s.wrap("unlock "+user, err)
}

// maxAttempts bounds the runs of a transaction that failed with a
// retryable error (a deadlock between concurrent batches).
const maxAttempts = 10

// inTx runs fn in a transaction and commits it, again while it fails with
// a retryable error.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.tryTx(ctx, fn)
		if err == nil || s.d.Retryable == nil || !s.d.Retryable(err) || attempt == maxAttempts || ctx.Err() != nil {
			return err
		}
	}
}

func (s *Store) tryTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		if ctx.Err() != nil {
			// database/sql rolls back the transaction of a context
			// that ended, and a statement run meanwhile fails with
			// "statement is closed": the cause is the context.
			return ctx.Err()
		}
		return err
	}
	return tx.Commit()
}

// errPartial: a multi-row insert stored some of its rows but not all, so
// which ones is unknown; the batch runs again row by row.
var errPartial = errors.New("multi-row insert met some existing keys")

// maxRowsPerInsert bounds one multi-row INSERT (SQLite allows 32766
// parameters, MySQL 65535).
const maxRowsPerInsert = 500

// table is how PutBatch writes one kind of row.
type table[T store.Vector | store.Decision] struct {
	name, cols string
	args       func(T) []any
}

var (
	vectorTable = table[store.Vector]{"vectors", "uid, session, seq, at, vals", func(v store.Vector) []any {
		return []any{v.User, v.Session, v.Seq, ms(v.At), store.EncodeValues(v.Values)}
	}}
	decisionTable = table[store.Decision]{"decisions", "uid, session, seq, score, mean, win, threshold, accept, alert, judged, flags, model_version, at",
		func(d store.Decision) []any {
			return []any{d.User, d.Session, d.Seq, d.Score, d.Statistic, d.Window, d.Threshold, b2i(d.Accept), b2i(d.Alert), b2i(d.Judged), d.Flags, d.ModelVersion, ms(d.At)}
		}}
)

// PutBatch implements store.Profiles: one transaction holds every row, so
// the batch costs one commit. Rows go in key order (so concurrent batches
// lock rows in one order), each distinct key once. With RowByRow (SQLite)
// each row is one run of a prepared INSERT whose affected-row count says
// whether it was stored. Otherwise (MySQL) each table gets one multi-row
// INSERT per 500 rows, whose count tells all rows inserted or none; only
// when it tells neither (a redelivery overlapping part of the batch, or a
// concurrent writer) does the transaction run again row by row.
func (s *Store) PutBatch(ctx context.Context, vs []store.Vector, ds []store.Decision) ([]bool, []bool, error) {
	iv, id := make([]bool, len(vs)), make([]bool, len(ds))
	if len(vs)+len(ds) == 0 {
		return iv, id, nil
	}
	uv, ud := keys.Unique(vs), keys.Unique(ds)
	run := func(rowByRow bool) error {
		return s.inTx(ctx, func(tx *sql.Tx) error {
			clear(iv)
			clear(id)
			if err := insertBatch(ctx, s, tx, vectorTable, vs, uv, iv, rowByRow); err != nil {
				return err
			}
			if err := faultpoint.Check(ctx, faultpoint.BatchVectorsWritten); err != nil {
				return err
			}
			return insertBatch(ctx, s, tx, decisionTable, ds, ud, id, rowByRow)
		})
	}
	err := run(s.d.RowByRow)
	if errors.Is(err, errPartial) {
		err = run(true)
	}
	if err != nil {
		return nil, nil, s.wrap(fmt.Sprintf("put batch of %d vectors and %d decisions", len(vs), len(ds)), err)
	}
	return iv, id, nil
}

// insertBatch inserts xs[i] for i in uniq and sets inserted[i] for the rows
// stored.
func insertBatch[T store.Vector | store.Decision](ctx context.Context, s *Store, tx *sql.Tx, t table[T], xs []T, uniq []int, inserted []bool, rowByRow bool) error {
	if len(uniq) == 0 {
		return nil
	}
	row := rowOf(t.cols)
	if rowByRow {
		var st *sql.Stmt
		if prep := s.rowInsert[t.name]; prep != nil {
			st = tx.StmtContext(ctx, prep)
		} else {
			var err error
			if st, err = tx.PrepareContext(ctx, s.d.InsertNew(`INSERT INTO `+t.name+` (`+t.cols+`) VALUES `+row)); err != nil {
				return err
			}
		}
		defer st.Close()
		// SQLite's rows run under ctx without its end, which is checked
		// between rows instead: for a context that can end, its driver
		// starts a goroutine per statement to watch it. A row there never
		// waits for a lock (the transaction holds the database's write
		// lock from BEGIN IMMEDIATE on). MySQL's rows, which can wait for
		// another transaction's row locks, keep ctx.
		rowCtx := ctx
		if s.d.RowByRow {
			rowCtx = context.WithoutCancel(ctx)
		}
		for _, i := range uniq {
			if err := ctx.Err(); err != nil {
				return err
			}
			res, err := st.ExecContext(rowCtx, t.args(xs[i])...)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			inserted[i] = n == 1
		}
		return nil
	}
	for len(uniq) > 0 {
		chunk := uniq[:min(len(uniq), maxRowsPerInsert)]
		uniq = uniq[len(chunk):]
		args := make([]any, 0, len(chunk)*strings.Count(row, "?"))
		for _, i := range chunk {
			args = append(args, t.args(xs[i])...)
		}
		q := `INSERT INTO ` + t.name + ` (` + t.cols + `) VALUES ` + row + strings.Repeat(", "+row, len(chunk)-1)
		res, err := tx.ExecContext(ctx, s.d.InsertNew(q), args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		switch n {
		case int64(len(chunk)):
			for _, i := range chunk {
				inserted[i] = true
			}
		case 0:
		default:
			return errPartial
		}
	}
	return nil
}
