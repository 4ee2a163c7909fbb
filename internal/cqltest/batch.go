package cqltest

import (
	"bytes"
	"fmt"
	"slices"
)

// This file adds to the CQL stub what group commit and sticky alerts need:
// UPDATE statements and BATCH frames, with Cassandra's rules for them.
//
//	UPDATE [ks.]t SET c = ? [, ...] WHERE k = ? [AND ...] [IF EXISTS]
//	    (every primary key column restricted by =; only regular columns set)
//	BATCH (LOGGED or UNLOGGED) of INSERT and UPDATE statements, by text or
//	    prepared id. A batch with conditions (IF NOT EXISTS, IF EXISTS) must
//	    stay in one table and one partition; its conditions are checked
//	    against the rows before the batch and either every statement applies
//	    ([applied] = true) or none does, and the result lists the existing
//	    rows the batch names ([applied] = false, then every column, as
//	    SELECT * orders them). A batch over 50 KiB of values is refused as
//	    Cassandra's default batch_size_fail_threshold refuses it.

// opBatch is the BATCH opcode (native protocol v4, section 4.1.7).
const opBatch = 0x0D

// cqlBatchFailBytes is Cassandra's default batch_size_fail_threshold.
const cqlBatchFailBytes = 50 << 10

// cqlUpdate is an UPDATE statement.
type cqlUpdate struct {
	ks, table string
	set       []string      // one ? per column
	where     []cqlRelation // = only
	ifExists  bool
}

func (p *cqlParser) update() (any, error) {
	var st cqlUpdate
	var err error
	if st.ks, st.table, err = p.qualified(); err != nil {
		return nil, err
	}
	if err := p.expectKw("set"); err != nil {
		return nil, err
	}
	for {
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		if err := p.expect("="); err != nil {
			return nil, err
		}
		if p.next().kind != tokBind {
			return nil, fmt.Errorf("stub accepts only ? bind markers in SET")
		}
		st.set = append(st.set, n)
		if !p.accept(",") {
			break
		}
	}
	if err := p.expectKw("where"); err != nil {
		return nil, err
	}
	for {
		var r cqlRelation
		if r.col, err = p.name(); err != nil {
			return nil, err
		}
		if err := p.expect("="); err != nil {
			return nil, fmt.Errorf("stub supports only = in the WHERE of an UPDATE: %w", err)
		}
		if p.next().kind != tokBind {
			return nil, fmt.Errorf("stub accepts only ? bind markers in WHERE")
		}
		r.op = "="
		st.where = append(st.where, r)
		if !p.acceptKw("and") {
			break
		}
	}
	st.ifExists = p.acceptKw("if", "exists")
	return st, nil
}

func (e *cqlEngine) planUpdate(pl *cqlPlan, st cqlUpdate) error {
	t, err := e.table(pl.cur, st.ks, st.table)
	if err != nil {
		return err
	}
	pl.t = t
	isKey := func(ci int) bool { return slices.Contains(t.partition, ci) || slices.Contains(t.clustering, ci) }
	for _, name := range st.set {
		ci, ok := t.idx[name]
		switch {
		case !ok:
			return invalidf("Undefined column name %s", name)
		case isKey(ci):
			return invalidf("PRIMARY KEY part %s found in SET part", name)
		case slices.Contains(pl.colIdx, ci):
			return invalidf("Multiple definitions found for column %s", name)
		}
		pl.colIdx = append(pl.colIdx, ci)
		pl.bind = append(pl.bind, t.cols[ci])
	}
	seen := map[int]bool{}
	for _, r := range st.where {
		ci, ok := t.idx[r.col]
		switch {
		case !ok:
			return invalidf("Undefined column name %s", r.col)
		case !isKey(ci):
			return invalidf("Non PRIMARY KEY columns found in where clause: %s", r.col)
		case seen[ci]:
			return invalidf("%s cannot be restricted by more than one relation if it includes an Equal", r.col)
		}
		seen[ci] = true
		pl.where = append(pl.where, cqlBound{col: ci, op: "=", bind: len(pl.bind)})
		pl.bind = append(pl.bind, t.cols[ci])
	}
	for _, ci := range t.partition {
		if !seen[ci] {
			return invalidf("Some partition key parts are missing: %s", t.cols[ci].name)
		}
		pl.pk = append(pl.pk, uint16(pl.where[slices.IndexFunc(pl.where, func(b cqlBound) bool { return b.col == ci })].bind))
	}
	for _, ci := range t.clustering {
		if !seen[ci] {
			return invalidf("Some clustering keys are missing: %s", t.cols[ci].name)
		}
	}
	return nil
}

// keyRow returns a row holding only the primary key an INSERT or UPDATE
// names, refusing a null or unset key part as Cassandra does.
func (pl *cqlPlan) keyRow(vals []cqlValue) ([][]byte, error) {
	t := pl.t
	row := make([][]byte, len(t.cols))
	set := func(ci int, v cqlValue) error {
		if !slices.Contains(t.partition, ci) && !slices.Contains(t.clustering, ci) {
			return nil
		}
		if v.unset {
			return invalidf("Invalid unset value for column %s", t.cols[ci].name)
		}
		if v.b == nil {
			return invalidf("Invalid null value in condition for column %s", t.cols[ci].name)
		}
		row[ci] = bytes.Clone(v.b)
		return nil
	}
	switch pl.stmt.(type) {
	case cqlInsert:
		for i, ci := range pl.colIdx {
			if err := set(ci, vals[i]); err != nil {
				return nil, err
			}
		}
	case cqlUpdate:
		for _, w := range pl.where {
			if err := set(w.col, vals[w.bind]); err != nil {
				return nil, err
			}
		}
	}
	return row, nil
}

func cqlApplied(ok bool) *cqlResult {
	b := byte(0)
	if ok {
		b = 1
	}
	return &cqlResult{kind: resRows, cols: []cqlColumn{{"[applied]", cqlBoolean}}, rows: [][][]byte{{{b}}}}
}

func (e *cqlEngine) update(pl *cqlPlan, st cqlUpdate, vals []cqlValue) (*cqlResult, error) {
	t := pl.t
	row, err := pl.keyRow(vals)
	if err != nil {
		return nil, err
	}
	key := t.key(row)
	old, exists := t.rows[key]
	if st.ifExists && !exists {
		r := cqlApplied(false)
		r.ks, r.table = t.ks, t.name
		return r, nil
	}
	if exists {
		row = slices.Clone(old) // stored rows are never modified in place
	}
	for i, ci := range pl.colIdx {
		if v := vals[i]; !v.unset {
			row[ci] = bytes.Clone(v.b)
		}
	}
	t.rows[key] = row
	if st.ifExists {
		r := cqlApplied(true)
		r.ks, r.table = t.ks, t.name
		return r, nil
	}
	return &cqlResult{kind: resVoid}, nil
}

// cqlBatchStmt is one statement of a BATCH frame: text or a prepared id.
type cqlBatchStmt struct {
	text string
	id   []byte
	vals []cqlValue
}

// batch reads the body of a BATCH frame after its opcode and runs it.
func (s *Server) batch(r *cqlReader, cur string) (*cqlResult, error) {
	typ := r.u8()
	stmts := make([]cqlBatchStmt, r.u16())
	for i := range stmts {
		switch kind := r.u8(); kind {
		case 0:
			stmts[i].text = r.longStr()
			s.record(stmts[i].text)
		case 1:
			stmts[i].id = r.shortBytes()
		default:
			return nil, fmt.Errorf("batch statement %d of kind %d", i, kind)
		}
		for n := r.u16(); n > 0 && r.err == nil; n-- {
			stmts[i].vals = append(stmts[i].vals, r.value())
		}
	}
	r.u16() // consistency
	flags := r.u8()
	if flags&qfNamedValues != 0 {
		return nil, fmt.Errorf("stub does not implement named values")
	}
	if flags&qfSerialConsistency != 0 {
		r.u16()
	}
	if flags&qfDefaultTimestamp != 0 {
		r.take(8)
	}
	if r.err != nil {
		return nil, r.err
	}
	return s.engine.batch(cur, typ, stmts)
}

func (e *cqlEngine) batch(cur string, typ byte, stmts []cqlBatchStmt) (*cqlResult, error) {
	switch typ {
	case 0, 1: // LOGGED, UNLOGGED: one node holds everything, so the same here
	case 2:
		return nil, invalidf("stub does not implement counter batches")
	default:
		return nil, &cqlError{code: cqlErrProtocol, msg: fmt.Sprintf("unknown batch type %d", typ)}
	}
	parsed := make([]any, len(stmts))
	size := 0
	for i, st := range stmts {
		if st.id == nil {
			p, err := parseCQLStatement(st.text)
			if err != nil {
				return nil, err
			}
			parsed[i] = p
		}
		for _, v := range st.vals {
			size += len(v.b)
		}
	}
	if size > cqlBatchFailBytes {
		return nil, invalidf("Batch too large")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	plans := make([]*cqlPlan, len(stmts))
	rows := make([][][]byte, len(stmts)) // the primary key each names
	conditional := false
	for i, st := range stmts {
		c, stmt := cur, parsed[i]
		if st.id != nil {
			p := e.prepared[string(st.id)]
			if p == nil {
				return nil, &cqlError{code: cqlErrUnprepared, msg: fmt.Sprintf("prepared statement %x not found", st.id), id: st.id}
			}
			c, stmt = p.cur, p.stmt
		}
		switch stmt := stmt.(type) {
		case cqlInsert:
			conditional = conditional || stmt.ifNotExists
		case cqlUpdate:
			conditional = conditional || stmt.ifExists
		default:
			return nil, invalidf("Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.")
		}
		pl, err := e.plan(c, stmt)
		if err != nil {
			return nil, err
		}
		if len(st.vals) != len(pl.bind) {
			return nil, invalidf("There were %d markers(?) in CQL but %d bound variables", len(pl.bind), len(st.vals))
		}
		for j, v := range st.vals {
			if err := checkCQLValue(pl.bind[j], v.b); err != nil {
				return nil, err
			}
		}
		if rows[i], err = pl.keyRow(st.vals); err != nil {
			return nil, err
		}
		plans[i] = pl
	}
	if !conditional {
		for i, pl := range plans {
			if _, err := e.run(pl, stmts[i].vals); err != nil {
				return nil, err
			}
		}
		return &cqlResult{kind: resVoid}, nil
	}

	// A conditional batch: one table, one partition, all or nothing.
	t := plans[0].t
	ok := true
	for i, pl := range plans {
		if pl.t != t {
			return nil, invalidf("Batch with conditions cannot span multiple tables")
		}
		if t.comparePartition(rows[i], rows[0]) != 0 {
			return nil, invalidf("Batch with conditions cannot span multiple partitions")
		}
		_, exists := t.rows[t.key(rows[i])]
		switch st := pl.stmt.(type) {
		case cqlInsert:
			ok = ok && !(st.ifNotExists && exists)
		case cqlUpdate:
			ok = ok && !(st.ifExists && !exists)
		}
	}
	if !ok {
		res := cqlApplied(false)
		res.ks, res.table = t.ks, t.name
		var existing [][][]byte
		seen := map[string]bool{}
		for _, row := range rows {
			k := t.key(row)
			if old, exists := t.rows[k]; exists && !seen[k] {
				seen[k] = true
				existing = append(existing, old)
			}
		}
		if len(existing) == 0 {
			return res, nil
		}
		slices.SortFunc(existing, t.compare)
		for _, ci := range t.star {
			res.cols = append(res.cols, t.cols[ci])
		}
		res.rows = nil
		for _, old := range existing {
			r := [][]byte{{0}}
			for _, ci := range t.star {
				r = append(r, old[ci])
			}
			res.rows = append(res.rows, r)
		}
		return res, nil
	}
	for i, pl := range plans {
		var err error
		switch st := pl.stmt.(type) {
		case cqlInsert:
			st.ifNotExists = false
			_, err = e.insert(pl, st, stmts[i].vals)
		case cqlUpdate:
			st.ifExists = false
			_, err = e.update(pl, st, stmts[i].vals)
		}
		if err != nil {
			return nil, err
		}
	}
	res := cqlApplied(true)
	res.ks, res.table = t.ks, t.name
	return res, nil
}
