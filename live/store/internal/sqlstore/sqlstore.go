// Package sqlstore implements the store interfaces over database/sql for the
// two SQL backends, SQLite (embedded) and MySQL/MariaDB. They differ only in
// column types and the spelling of "insert unless the key exists".
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mouseauth/mouseauth/live/store"
)

// Dialect is what differs between the SQL backends.
type Dialect struct {
	Name string
	// Blob, LongBlob and Text are column types.
	Blob, LongBlob, Text string
	// InsertNew turns "INSERT INTO t (cols) VALUES (...)" into a statement
	// that inserts nothing, without error, when the primary key exists.
	InsertNew func(stmt string) string
}

// SQLite is the embedded store's dialect.
var SQLite = Dialect{Name: "sqlite", Blob: "BLOB", LongBlob: "BLOB", Text: "TEXT",
	InsertNew: func(s string) string { return s + " ON CONFLICT DO NOTHING" }}

// MySQL is MySQL's and MariaDB's dialect. ON DUPLICATE KEY UPDATE of a key
// column to itself affects 0 rows, unlike INSERT IGNORE, which would also
// turn truncation and other data errors into warnings.
var MySQL = Dialect{Name: "mysql", Blob: "MEDIUMBLOB", LongBlob: "LONGBLOB", Text: "VARCHAR(191)",
	InsertNew: func(s string) string { return s + " ON DUPLICATE KEY UPDATE uid = uid" }}

// Store is a store over db. It implements store.Profiles and
// store.Credentials.
type Store struct {
	db *sql.DB
	d  Dialect
}

var (
	_ store.Profiles    = (*Store)(nil)
	_ store.Credentials = (*Store)(nil)
)

// New wraps db; with create it creates missing tables first.
func New(ctx context.Context, db *sql.DB, d Dialect, create bool) (*Store, error) {
	s := &Store{db: db, d: d}
	if create {
		for _, q := range s.schema() {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return nil, fmt.Errorf("%s: create schema: %w", d.Name, err)
			}
		}
	}
	return s, nil
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
		`CREATE TABLE IF NOT EXISTS sessions (uid ` + t + ` NOT NULL, id ` + t + ` NOT NULL, client ` + t + ` NOT NULL,
			accepted SMALLINT NOT NULL, reason ` + t + ` NOT NULL, alerted SMALLINT NOT NULL, started BIGINT NOT NULL,
			PRIMARY KEY (uid, id))`,
		`CREATE TABLE IF NOT EXISTS credentials (uid ` + t + ` NOT NULL, department ` + t + ` NOT NULL,
			hash ` + t + ` NOT NULL, failures INT NOT NULL, locked_until BIGINT NOT NULL, PRIMARY KEY (uid))`,
	}
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

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
	res, err := s.db.ExecContext(ctx, s.d.InsertNew(stmt), args...)
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
	err := s.db.QueryRowContext(ctx, `SELECT version, data, created, vectors FROM models WHERE uid = ? ORDER BY version DESC LIMIT 1`, user).
		Scan(&m.Version, &m.Data, &created, &m.Vectors)
	m.Created = fromMS(created)
	return m, s.wrap("latest model of "+user, err)
}

// ModelUsers implements store.Models.
func (s *Store) ModelUsers(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT uid FROM models ORDER BY uid`)
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

// PutVector implements store.Profiles.
func (s *Store) PutVector(ctx context.Context, v store.Vector) (bool, error) {
	return s.insertNew(ctx, "put vector", `INSERT INTO vectors (uid, session, seq, at, vals) VALUES (?, ?, ?, ?, ?)`,
		v.User, v.Session, v.Seq, ms(v.At), store.EncodeValues(v.Values))
}

// PutDecision implements store.Profiles.
func (s *Store) PutDecision(ctx context.Context, d store.Decision) (bool, error) {
	return s.insertNew(ctx, "put decision", `INSERT INTO decisions (uid, session, seq, score, mean, win, threshold, accept, alert, model_version, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.User, d.Session, d.Seq, d.Score, d.Mean, d.Window, d.Threshold, b2i(d.Accept), b2i(d.Alert), d.ModelVersion, ms(d.At))
}

const decisionCols = `seq, score, mean, win, threshold, accept, alert, model_version, at`

func scanDecision(sc interface{ Scan(...any) error }, user, session string) (store.Decision, error) {
	d := store.Decision{User: user, Session: session}
	var accept, alert int
	var at int64
	err := sc.Scan(&d.Seq, &d.Score, &d.Mean, &d.Window, &d.Threshold, &accept, &alert, &d.ModelVersion, &at)
	d.Accept, d.Alert, d.At = accept != 0, alert != 0, fromMS(at)
	return d, err
}

// Decision implements store.Profiles.
func (s *Store) Decision(ctx context.Context, user, session string, seq int64) (store.Decision, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+decisionCols+` FROM decisions WHERE uid = ? AND session = ? AND seq = ?`, user, session, seq)
	d, err := scanDecision(row, user, session)
	return d, s.wrap("decision", err)
}

// RecentDecisions implements store.Profiles.
func (s *Store) RecentDecisions(ctx context.Context, user, session string, before int64, n int) ([]store.Decision, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+decisionCols+` FROM decisions WHERE uid = ? AND session = ? AND seq < ?
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

// Vectors implements store.Profiles.
func (s *Store) Vectors(ctx context.Context, user string, limit int) ([]store.Vector, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT v.session, v.seq, v.at, v.vals FROM vectors v
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

// Counts implements store.Profiles.
func (s *Store) Counts(ctx context.Context, user string) (vectors, decisions int64, err error) {
	if err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM vectors WHERE uid = ?`, user).Scan(&vectors); err != nil {
		return 0, 0, s.wrap("count vectors", err)
	}
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM decisions WHERE uid = ?`, user).Scan(&decisions)
	return vectors, decisions, s.wrap("count decisions", err)
}

// PutSession implements store.Profiles.
func (s *Store) PutSession(ctx context.Context, x store.Session) error {
	_, err := s.db.ExecContext(ctx, `REPLACE INTO sessions (uid, id, client, accepted, reason, alerted, started) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		x.User, x.ID, x.Client, b2i(x.Accepted), x.Reason, b2i(x.Alerted), ms(x.Started))
	return s.wrap("put session", err)
}

// Session implements store.Profiles.
func (s *Store) Session(ctx context.Context, user, id string) (store.Session, error) {
	x := store.Session{User: user, ID: id}
	var accepted, alerted int
	var started int64
	err := s.db.QueryRowContext(ctx, `SELECT client, accepted, reason, alerted, started FROM sessions WHERE uid = ? AND id = ?`, user, id).
		Scan(&x.Client, &accepted, &x.Reason, &alerted, &started)
	x.Accepted, x.Alerted, x.Started = accepted != 0, alerted != 0, fromMS(started)
	return x, s.wrap("session", err)
}

// PutCredential implements store.Credentials.
func (s *Store) PutCredential(ctx context.Context, c store.Credential) error {
	_, err := s.db.ExecContext(ctx, `REPLACE INTO credentials (uid, department, hash, failures, locked_until) VALUES (?, ?, ?, ?, ?)`,
		c.User, c.Department, c.Hash, c.Failures, ms(c.LockedUntil))
	return s.wrap("put credential", err)
}

// Credential implements store.Credentials.
func (s *Store) Credential(ctx context.Context, user string) (store.Credential, error) {
	c := store.Credential{User: user}
	var locked int64
	err := s.db.QueryRowContext(ctx, `SELECT department, hash, failures, locked_until FROM credentials WHERE uid = ?`, user).
		Scan(&c.Department, &c.Hash, &c.Failures, &locked)
	c.LockedUntil = fromMS(locked)
	return c, s.wrap("credential of "+user, err)
}

// SetFailures implements store.Credentials.
func (s *Store) SetFailures(ctx context.Context, user string, failures int, lockedUntil time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE credentials SET failures = ?, locked_until = ? WHERE uid = ?`, failures, ms(lockedUntil), user)
	if err != nil {
		return s.wrap("set failures", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.wrap("set failures", err)
	}
	if n == 0 {
		// MySQL reports 0 rows also when the values did not change; tell
		// the two apart.
		var one int
		if err := s.db.QueryRowContext(ctx, `SELECT 1 FROM credentials WHERE uid = ?`, user).Scan(&one); err != nil {
			return s.wrap("set failures of "+user, err)
		}
	}
	return nil
}
