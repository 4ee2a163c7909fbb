package cqltest

import (
	"encoding/binary"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func txt(s string) cqlValue { return cqlValue{b: []byte(s)} }
func i32(n int32) cqlValue  { return cqlValue{b: binary.BigEndian.AppendUint32(nil, uint32(n))} }
func i64(n int64) cqlValue  { return cqlValue{b: binary.BigEndian.AppendUint64(nil, uint64(n))} }

// engineWithTable has keyspace ks and table ks.t (p text, c int, v text)
// clustered by c in the given order.
func engineWithTable(t *testing.T, order string) *cqlEngine {
	t.Helper()
	e := newCQLEngine()
	run(t, e, "", `CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`)
	run(t, e, "ks", `CREATE TABLE t (p text, c int, v text, PRIMARY KEY ((p), c)) WITH CLUSTERING ORDER BY (c `+order+`)`)
	return e
}

func run(t *testing.T, e *cqlEngine, cur, q string, vals ...cqlValue) *cqlResult {
	t.Helper()
	r, err := e.query(cur, q, vals)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return r
}

// ints decodes a one-int-column result.
func ints(r *cqlResult) []int32 {
	var out []int32
	for _, row := range r.rows {
		out = append(out, int32(binary.BigEndian.Uint32(row[0])))
	}
	return out
}

func TestCQLEngineInsertIfNotExists(t *testing.T) {
	e := engineWithTable(t, "ASC")
	ins := `INSERT INTO t (p, c, v) VALUES (?, ?, ?) IF NOT EXISTS`
	r := run(t, e, "ks", ins, txt("a"), i32(1), txt("first"))
	if len(r.cols) != 1 || r.cols[0].name != "[applied]" || !reflect.DeepEqual(r.rows, [][][]byte{{{1}}}) {
		t.Fatalf("first insert: cols %v rows %v, want [applied] = true", r.cols, r.rows)
	}
	r = run(t, e, "ks", ins, txt("a"), i32(1), txt("second"))
	var names []string
	for _, c := range r.cols {
		names = append(names, c.name)
	}
	if !reflect.DeepEqual(names, []string{"[applied]", "p", "c", "v"}) || len(r.rows) != 1 ||
		r.rows[0][0][0] != 0 || string(r.rows[0][3]) != "first" {
		t.Fatalf("second insert: cols %v rows %q, want [applied] = false and the existing row", names, r.rows)
	}
	// A plain INSERT is an upsert.
	run(t, e, "ks", `INSERT INTO t (p, c, v) VALUES (?, ?, ?)`, txt("a"), i32(1), txt("third"))
	r = run(t, e, "ks", `SELECT v FROM t WHERE p = ? AND c = ?`, txt("a"), i32(1))
	if len(r.rows) != 1 || string(r.rows[0][0]) != "third" {
		t.Fatalf("after upsert: %q", r.rows)
	}
}

func TestCQLEngineClusteringOrder(t *testing.T) {
	e := engineWithTable(t, "DESC")
	for _, c := range []int32{3, 1, 5, 2, 4} {
		run(t, e, "ks", `INSERT INTO t (p, c, v) VALUES (?, ?, ?)`, txt("a"), i32(c), txt("x"))
	}
	run(t, e, "ks", `INSERT INTO t (p, c, v) VALUES (?, ?, ?)`, txt("b"), i32(9), txt("other partition"))
	for _, tc := range []struct {
		q    string
		vals []cqlValue
		want []int32
	}{
		{`SELECT c FROM t WHERE p = ?`, []cqlValue{txt("a")}, []int32{5, 4, 3, 2, 1}},
		{`SELECT c FROM ks.t WHERE p = ? ORDER BY c ASC`, []cqlValue{txt("a")}, []int32{1, 2, 3, 4, 5}},
		{`SELECT c FROM t WHERE p = ? AND c < ? LIMIT 2`, []cqlValue{txt("a"), i32(4)}, []int32{3, 2}},
		{`SELECT c FROM t WHERE p = ? AND c >= ? ORDER BY c ASC LIMIT ?`, []cqlValue{txt("a"), i32(2), i32(2)}, []int32{2, 3}},
		{`SELECT c FROM t WHERE p = ? AND c = ?`, []cqlValue{txt("a"), i32(7)}, nil},
	} {
		if got := ints(run(t, e, "ks", tc.q, tc.vals...)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func TestCQLEngineCountDistinct(t *testing.T) {
	e := engineWithTable(t, "ASC")
	for i, p := range []string{"a", "a", "b", "a", "c"} {
		run(t, e, "ks", `INSERT INTO t (p, c, v) VALUES (?, ?, ?)`, txt(p), i32(int32(i)), txt("x"))
	}
	r := run(t, e, "ks", `SELECT COUNT(*) FROM t WHERE p = ?`, txt("a"))
	if r.cols[0] != (cqlColumn{"count", cqlBigint}) || binary.BigEndian.Uint64(r.rows[0][0]) != 3 {
		t.Fatalf("COUNT(*) of a: cols %v rows %v, want bigint 3", r.cols, r.rows)
	}
	r = run(t, e, "ks", `SELECT DISTINCT p FROM t`)
	var ps []string
	for _, row := range r.rows {
		ps = append(ps, string(row[0]))
	}
	slices.Sort(ps) // partitions come in token order
	if !reflect.DeepEqual(ps, []string{"a", "b", "c"}) {
		t.Fatalf("DISTINCT p = %q", ps)
	}
}

// TestCQLEngineToken: partitions come in token order, and a token()
// relation selects from a place in it, as SampleVectors reads.
func TestCQLEngineToken(t *testing.T) {
	e := engineWithTable(t, "ASC")
	for i, p := range []string{"a", "b", "c", "d", "e"} {
		run(t, e, "ks", `INSERT INTO t (p, c, v) VALUES (?, ?, ?)`, txt(p), i32(int32(i)), txt("x"))
	}
	all := run(t, e, "ks", `SELECT p FROM t`)
	tbl := e.keyspaces["ks"].tables["t"]
	var toks []int64
	for _, row := range all.rows {
		toks = append(toks, tbl.token([][]byte{row[0], nil, nil}))
	}
	if !slices.IsSorted(toks) || len(toks) != 5 {
		t.Fatalf("partitions not in token order: %v", toks)
	}
	for i, tok := range toks {
		r := run(t, e, "ks", `SELECT p FROM t WHERE token(p) >= ? LIMIT 1`, i64(tok))
		if len(r.rows) != 1 || string(r.rows[0][0]) != string(all.rows[i][0]) {
			t.Fatalf("token(p) >= %d: %v, want %q", tok, r.rows, all.rows[i][0])
		}
		r = run(t, e, "ks", `SELECT p FROM t WHERE token(p) > ?`, i64(tok))
		if len(r.rows) != 4-i {
			t.Fatalf("token(p) > %d: %d rows, want %d", tok, len(r.rows), 4-i)
		}
	}
	if _, err := e.query("ks", `SELECT p FROM t WHERE token(c) >= ?`, []cqlValue{i64(0)}); err == nil {
		t.Fatal("token() of a clustering column was accepted")
	}
}

func TestCQLEngineRefuses(t *testing.T) {
	e := engineWithTable(t, "ASC")
	for _, tc := range []struct {
		cur, q string
		vals   []cqlValue
		code   int32
		want   string
	}{
		{"ks", `DELETE FROM t WHERE p = ?`, []cqlValue{txt("a")}, cqlErrSyntax, "DELETE FROM t"},
		{"ks", `SELECT v FROM t WHERE p = 'a'`, nil, cqlErrSyntax, "bind markers"},
		{"ks", `SELECT v FROM t WHERE v = ?`, []cqlValue{txt("x")}, cqlErrInvalid, "ALLOW FILTERING"},
		{"ks", `SELECT v FROM t WHERE c = ?`, []cqlValue{i32(1)}, cqlErrInvalid, "ALLOW FILTERING"},
		{"ks", `SELECT v FROM t ORDER BY c DESC`, nil, cqlErrInvalid, "ORDER BY is only supported"},
		{"ks", `SELECT v FROM t WHERE p = ? ORDER BY v DESC`, []cqlValue{txt("a")}, cqlErrInvalid, "clustered columns"},
		{"ks", `INSERT INTO t (p, v) VALUES (?, ?)`, []cqlValue{txt("a"), txt("x")}, cqlErrInvalid, "missing: c"},
		{"ks", `INSERT INTO t (p, c, v) VALUES (?, ?, ?)`, []cqlValue{{}, i32(1), txt("x")}, cqlErrInvalid, "null value"},
		{"ks", `INSERT INTO t (p, c, v) VALUES (?, ?, ?)`, []cqlValue{txt("a"), txt("eight by"), txt("x")}, cqlErrInvalid, "Expected 4"},
		{"ks", `SELECT v FROM t WHERE p = ?`, nil, cqlErrInvalid, "1 markers(?) in CQL but 0 bound"},
		{"ks", `SELECT v FROM nope WHERE p = ?`, []cqlValue{txt("a")}, cqlErrInvalid, "unconfigured table nope"},
		{"", `SELECT v FROM t WHERE p = ?`, []cqlValue{txt("a")}, cqlErrInvalid, "No keyspace has been specified"},
		{"", `USE other`, nil, cqlErrInvalid, "does not exist"},
		{"", `CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`, nil, cqlErrAlreadyExists, "already exists"},
		{"", `CREATE KEYSPACE k2 WITH replication = {'class': 'EverywhereStrategy'}`, nil, cqlErrConfig, "EverywhereStrategy"},
		{"ks", `CREATE TABLE u (a text, b list<text>, PRIMARY KEY (a))`, nil, cqlErrSyntax, "not supported"},
	} {
		_, err := e.query(tc.cur, tc.q, tc.vals)
		var ce *cqlError
		if !errors.As(err, &ce) || ce.code != tc.code || !strings.Contains(ce.msg, tc.want) {
			t.Errorf("%s: err = %v, want code 0x%04x containing %q", tc.q, err, tc.code, tc.want)
		}
	}
}

func TestCQLEnginePrepare(t *testing.T) {
	e := engineWithTable(t, "ASC")
	r, err := e.prepare("ks", `SELECT c, v FROM t WHERE p = ? AND c > ? LIMIT ?`)
	if err != nil {
		t.Fatal(err)
	}
	wantBind := []cqlColumn{{"p", cqlVarchar}, {"c", cqlInt}, {"[limit]", cqlInt}}
	if !reflect.DeepEqual(r.bind, wantBind) || !reflect.DeepEqual(r.pk, []uint16{0}) ||
		!reflect.DeepEqual(r.resultCols, []cqlColumn{{"c", cqlInt}, {"v", cqlVarchar}}) {
		t.Fatalf("prepared metadata: bind %v pk %v result %v", r.bind, r.pk, r.resultCols)
	}
	run(t, e, "ks", `INSERT INTO t (p, c, v) VALUES (?, ?, ?)`, txt("a"), i32(2), txt("x"))
	got, err := e.execute(r.id, []cqlValue{txt("a"), i32(1), i32(10)})
	if err != nil || len(got.rows) != 1 || string(got.rows[0][1]) != "x" {
		t.Fatalf("execute: %v, %v", got, err)
	}
	// The same text under another keyspace is another statement.
	if _, err := e.prepare("", `SELECT c, v FROM t WHERE p = ? AND c > ? LIMIT ?`); err == nil {
		t.Fatal("prepared an unqualified table without a keyspace")
	}
	var ce *cqlError
	if _, err := e.execute([]byte("unknown id"), nil); !errors.As(err, &ce) || ce.code != cqlErrUnprepared {
		t.Fatalf("execute of an unknown id: %v, want UNPREPARED", err)
	}
}

// TestServerGocqlCAS drives the engine through the wire protocol with
// gocql, including ScanCAS on a refused INSERT ... IF NOT EXISTS and a
// restart of the stub.
func TestServerGocqlCAS(t *testing.T) {
	s := Start(t, nil)
	host, port, _ := strings.Cut(s.Addr, ":")
	cl := gocql.NewCluster(host)
	cl.Port = atoi(t, port)
	cl.ProtoVersion = 4
	cl.Timeout = 2 * time.Second
	cl.ReconnectInterval = time.Second // the default minute outlasts the test
	sess, err := cl.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	for _, q := range []string{
		`CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
		`CREATE TABLE ks.t (p text, c bigint, at timestamp, PRIMARY KEY (p, c))`,
	} {
		if err := sess.Query(q).Exec(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	ins := `INSERT INTO ks.t (p, c, at) VALUES (?, ?, ?) IF NOT EXISTS`
	if applied, err := sess.Query(ins, "a", int64(1), at).ScanCAS(); err != nil || !applied {
		t.Fatalf("first ScanCAS: applied=%v err=%v", applied, err)
	}
	var (
		p    string
		c    int64
		prev time.Time
	)
	applied, err := sess.Query(ins, "a", int64(1), at.Add(time.Hour)).ScanCAS(&p, &c, &prev)
	if err != nil || applied || p != "a" || c != 1 || !prev.Equal(at) {
		t.Fatalf("second ScanCAS: applied=%v err=%v existing=(%q, %d, %v)", applied, err, p, c, prev)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	var n int64
	deadline := time.Now().Add(20 * time.Second)
	for {
		err = sess.Query(`SELECT COUNT(*) FROM ks.t WHERE p = ?`, "a").Scan(&n)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || n != 1 {
		t.Fatalf("after restart: count %d, err %v", n, err)
	}
	if err := sess.Query(`TRUNCATE ks.t`).Exec(); err == nil || !strings.Contains(err.Error(), "TRUNCATE ks.t") {
		t.Fatalf("an unsupported statement: err = %v, want a syntax error naming it", err)
	}
}
