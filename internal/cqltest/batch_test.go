package cqltest

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestCQLEngineUpdate(t *testing.T) {
	t.Parallel()
	e := engineWithTable(t, "ASC")
	upd := `UPDATE t SET v = ? WHERE p = ? AND c = ? IF EXISTS`
	if r := run(t, e, "ks", upd, txt("x"), txt("a"), i32(1)); !reflect.DeepEqual(r.rows, [][][]byte{{{0}}}) || len(r.cols) != 1 {
		t.Fatalf("UPDATE IF EXISTS of a missing row: cols %v rows %v, want [applied] = false alone", r.cols, r.rows)
	}
	if r := run(t, e, "ks", `SELECT COUNT(*) FROM t`); string(r.rows[0][0]) != "\x00\x00\x00\x00\x00\x00\x00\x00" {
		t.Fatal("UPDATE IF EXISTS of a missing row created it")
	}
	run(t, e, "ks", `INSERT INTO t (p, c, v) VALUES (?, ?, ?)`, txt("a"), i32(1), txt("old"))
	if r := run(t, e, "ks", upd, txt("new"), txt("a"), i32(1)); !reflect.DeepEqual(r.rows, [][][]byte{{{1}}}) {
		t.Fatalf("UPDATE IF EXISTS of a row: rows %v, want [applied] = true", r.rows)
	}
	run(t, e, "ks", `UPDATE t SET v = ? WHERE c = ? AND p = ?`, txt("upsert"), i32(2), txt("a"))
	r := run(t, e, "ks", `SELECT c, v FROM t WHERE p = ?`, txt("a"))
	if len(r.rows) != 2 || string(r.rows[0][1]) != "new" || string(r.rows[1][1]) != "upsert" {
		t.Fatalf("rows after the updates: %q", r.rows)
	}
	for _, tc := range []struct {
		q    string
		vals []cqlValue
		want string
	}{
		{`UPDATE t SET v = ? WHERE p = ?`, []cqlValue{txt("x"), txt("a")}, "Some clustering keys are missing: c"},
		{`UPDATE t SET v = ? WHERE c = ?`, []cqlValue{txt("x"), i32(1)}, "Some partition key parts are missing: p"},
		{`UPDATE t SET c = ? WHERE p = ? AND c = ?`, []cqlValue{i32(2), txt("a"), i32(1)}, "PRIMARY KEY part c found in SET part"},
		{`UPDATE t SET v = ? WHERE p = ? AND v = ?`, []cqlValue{txt("x"), txt("a"), txt("y")}, "Non PRIMARY KEY columns found"},
		{`UPDATE t SET v = ? WHERE p = ? AND c = ?`, []cqlValue{txt("x"), {}, i32(1)}, "null value"},
	} {
		_, err := e.query("ks", tc.q, tc.vals)
		var ce *cqlError
		if !errors.As(err, &ce) || ce.code != cqlErrInvalid || !strings.Contains(ce.msg, tc.want) {
			t.Errorf("%s: err = %v, want an invalid-query error containing %q", tc.q, err, tc.want)
		}
	}
}

func TestCQLEngineBatch(t *testing.T) {
	t.Parallel()
	e := engineWithTable(t, "ASC")
	ins := `INSERT INTO t (p, c, v) VALUES (?, ?, ?) IF NOT EXISTS`
	plain := `INSERT INTO t (p, c, v) VALUES (?, ?, ?)`
	stmt := func(q string, vals ...cqlValue) cqlBatchStmt { return cqlBatchStmt{text: q, vals: vals} }
	batch := func(stmts ...cqlBatchStmt) (*cqlResult, error) { return e.batch("ks", 1, stmts) }

	// All new: every insert applies.
	r, err := batch(stmt(ins, txt("a"), i32(1), txt("v1")), stmt(ins, txt("a"), i32(2), txt("v2")))
	if err != nil || !reflect.DeepEqual(r.rows, [][][]byte{{{1}}}) {
		t.Fatalf("conditional batch of new rows: %v, %v", r, err)
	}
	// One exists: none applies, and the existing rows come back.
	r, err = batch(stmt(ins, txt("a"), i32(3), txt("v3")), stmt(ins, txt("a"), i32(2), txt("other")), stmt(ins, txt("a"), i32(1), txt("other")))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range r.cols {
		names = append(names, c.name)
	}
	if !reflect.DeepEqual(names, []string{"[applied]", "p", "c", "v"}) || len(r.rows) != 2 ||
		string(r.rows[0][3]) != "v1" || string(r.rows[1][3]) != "v2" || r.rows[0][0][0] != 0 {
		t.Fatalf("conditional batch meeting existing rows: cols %v rows %q", names, r.rows)
	}
	if r := run(t, e, "ks", `SELECT v FROM t WHERE p = ? AND c = ?`, txt("a"), i32(3)); len(r.rows) != 0 {
		t.Fatal("a conditional batch that did not apply stored one of its rows")
	}
	// Unconditional batches may span partitions.
	if _, err := batch(stmt(plain, txt("b"), i32(1), txt("x")), stmt(plain, txt("c"), i32(1), txt("y"))); err != nil {
		t.Fatal(err)
	}
	// Prepared statements in a batch.
	p, err := e.prepare("ks", ins)
	if err != nil {
		t.Fatal(err)
	}
	r, err = e.batch("", 0, []cqlBatchStmt{{id: p.id, vals: []cqlValue{txt("d"), i32(1), txt("z")}}})
	if err != nil || !reflect.DeepEqual(r.rows, [][][]byte{{{1}}}) {
		t.Fatalf("batch of a prepared statement: %v, %v", r, err)
	}

	big := make([]byte, 30<<10)
	for _, tc := range []struct {
		stmts []cqlBatchStmt
		want  string
	}{
		{[]cqlBatchStmt{stmt(ins, txt("a"), i32(7), txt("x")), stmt(ins, txt("b"), i32(7), txt("x"))}, "cannot span multiple partitions"},
		{[]cqlBatchStmt{stmt(ins, txt("a"), i32(7), txt("x")), stmt(`SELECT v FROM t WHERE p = ?`, txt("a"))}, "only UPDATE, INSERT and DELETE"},
		{[]cqlBatchStmt{stmt(plain, txt("a"), i32(8), cqlValue{b: big}), stmt(plain, txt("a"), i32(9), cqlValue{b: big})}, "Batch too large"},
		{[]cqlBatchStmt{stmt(ins, txt("a"), i32(7))}, "3 markers"},
	} {
		_, err := batch(tc.stmts...)
		var ce *cqlError
		if !errors.As(err, &ce) || !strings.Contains(ce.msg, tc.want) {
			t.Errorf("batch %v: err = %v, want %q", tc.stmts[0].text, err, tc.want)
		}
	}
	run(t, e, "ks", `CREATE TABLE t2 (p text, c int, v text, PRIMARY KEY ((p), c))`)
	_, err = batch(stmt(ins, txt("a"), i32(7), txt("x")), stmt(`INSERT INTO t2 (p, c, v) VALUES (?, ?, ?) IF NOT EXISTS`, txt("a"), i32(7), txt("x")))
	if err == nil || !strings.Contains(err.Error(), "cannot span multiple tables") {
		t.Errorf("conditional batch over two tables: err = %v", err)
	}
	if _, err := e.batch("ks", 2, []cqlBatchStmt{stmt(plain, txt("a"), i32(7), txt("x"))}); err == nil {
		t.Error("a counter batch was accepted")
	}
}
