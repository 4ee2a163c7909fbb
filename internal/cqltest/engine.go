package cqltest

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// cqlEngine is the in-memory database behind [Server]: keyspaces, tables
// and rows, shared by every connection and kept across Restart. It is a
// contract-test double for the Cassandra store, written by hand because no
// Go library serves CQL. It implements the statement shapes the store sends
// with Cassandra's semantics for them (primary keys, clustering order,
// lightweight-transaction INSERT ... IF NOT EXISTS, COUNT, DISTINCT,
// ORDER BY, LIMIT) and Cassandra's validation of WHERE and ORDER BY, so a
// query real Cassandra would refuse is refused here too. Anything else is
// an error, never a silent success.
//
// The statements it serves and its limits are listed in doc.go.
type cqlEngine struct {
	mu        sync.Mutex
	keyspaces map[string]*cqlKeyspace
	prepared  map[string]*cqlPrepared
}

func newCQLEngine() *cqlEngine {
	return &cqlEngine{keyspaces: map[string]*cqlKeyspace{}, prepared: map[string]*cqlPrepared{}}
}

type cqlKeyspace struct {
	name        string
	replication map[string]string
	tables      map[string]*cqlTable
}

type cqlTable struct {
	ks, name   string
	cols       []cqlColumn // declaration order
	idx        map[string]int
	partition  []int // column indices
	clustering []int
	desc       []bool // per clustering column
	star       []int  // SELECT * order: partition, clustering, the rest by name
	rows       map[string][][]byte
}

type cqlColumn struct {
	name string
	typ  uint16
}

type cqlPrepared struct {
	cur  string // connection keyspace at PREPARE, for unqualified names
	stmt any
}

// CQL type option ids (native protocol v4, section 4.2.5.2).
const (
	cqlBigint    uint16 = 0x0002
	cqlBlob      uint16 = 0x0003
	cqlBoolean   uint16 = 0x0004
	cqlDouble    uint16 = 0x0007
	cqlInt       uint16 = 0x0009
	cqlTimestamp uint16 = 0x000B
	cqlVarchar   uint16 = 0x000D
)

var cqlTypeIDs = map[string]uint16{
	"text": cqlVarchar, "varchar": cqlVarchar, "int": cqlInt, "bigint": cqlBigint, "blob": cqlBlob,
	"double": cqlDouble, "boolean": cqlBoolean, "timestamp": cqlTimestamp,
}

// Error codes (native protocol v4, section 9).
const (
	cqlErrProtocol      int32 = 0x000A
	cqlErrSyntax        int32 = 0x2000
	cqlErrInvalid       int32 = 0x2200
	cqlErrConfig        int32 = 0x2300
	cqlErrAlreadyExists int32 = 0x2400
	cqlErrUnprepared    int32 = 0x2500
)

// cqlError is an ERROR frame.
type cqlError struct {
	code      int32
	msg       string
	ks, table string // ALREADY_EXISTS
	id        []byte // UNPREPARED
}

func (e *cqlError) Error() string { return fmt.Sprintf("cql error 0x%04x: %s", e.code, e.msg) }

func (e *cqlError) encode() buf {
	var b buf
	b.int(e.code)
	b.str(e.msg)
	switch e.code {
	case cqlErrAlreadyExists:
		b.str(e.ks)
		b.str(e.table)
	case cqlErrUnprepared:
		b.short(uint16(len(e.id)))
		b = append(b, e.id...)
	}
	return b
}

func invalidf(format string, args ...any) error {
	return &cqlError{code: cqlErrInvalid, msg: fmt.Sprintf(format, args...)}
}

// cqlValue is a bound value: b == nil is null.
type cqlValue struct {
	b     []byte
	unset bool
}

// Result kinds.
const (
	resVoid         int32 = 1
	resRows         int32 = 2
	resSetKeyspace  int32 = 3
	resPrepared     int32 = 4
	resSchemaChange int32 = 5
)

// cqlResult is a RESULT frame.
type cqlResult struct {
	kind                   int32
	keyspace               string // SET_KEYSPACE and SCHEMA_CHANGE
	change, target, object string // SCHEMA_CHANGE
	ks, table              string // table spec of rows and of prepared metadata
	cols                   []cqlColumn
	rows                   [][][]byte
	id                     []byte // PREPARED
	bind                   []cqlColumn
	pk                     []uint16
	resultCols             []cqlColumn // PREPARED result metadata; nil = none
}

func (r *cqlResult) encode(skipMeta bool) buf {
	var b buf
	b.int(r.kind)
	switch r.kind {
	case resRows:
		if skipMeta {
			b.int(0x0004) // No_metadata: the client has it from PREPARE
			b.int(int32(len(r.cols)))
		} else {
			colSpecs(&b, 0, r.ks, r.table, r.cols, false, nil)
		}
		b.int(int32(len(r.rows)))
		for _, row := range r.rows {
			for _, cell := range row {
				b.bytes(cell)
			}
		}
	case resSetKeyspace:
		b.str(r.keyspace)
	case resPrepared:
		b.short(uint16(len(r.id)))
		b = append(b, r.id...)
		colSpecs(&b, 0, r.ks, r.table, r.bind, true, r.pk)
		if r.resultCols == nil {
			colSpecs(&b, 0x0004, "", "", nil, false, nil) // No_metadata: not a SELECT
		} else {
			colSpecs(&b, 0, r.ks, r.table, r.resultCols, false, nil)
		}
	case resSchemaChange:
		b.str(r.change)
		b.str(r.target)
		b.str(r.keyspace)
		if r.target == "TABLE" {
			b.str(r.object)
		}
	}
	return b
}

// colSpecs writes metadata, with a global table spec when it has columns;
// prepared-statement metadata (prepared) carries partition-key indices too.
func colSpecs(b *buf, flags int32, ks, table string, cols []cqlColumn, prepared bool, pk []uint16) {
	if len(cols) > 0 {
		flags |= 0x0001
	}
	b.int(flags)
	b.int(int32(len(cols)))
	if prepared {
		b.int(int32(len(pk)))
		for _, i := range pk {
			b.short(i)
		}
	}
	if len(cols) == 0 {
		return
	}
	b.str(ks)
	b.str(table)
	for _, c := range cols {
		b.str(c.name)
		b.short(c.typ)
	}
}

// query runs the statement of a QUERY frame; cur is the connection's
// keyspace.
func (e *cqlEngine) query(cur, text string, vals []cqlValue) (*cqlResult, error) {
	st, err := parseCQLStatement(text)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	pl, err := e.plan(cur, st)
	if err != nil {
		return nil, err
	}
	return e.run(pl, vals)
}

// prepare validates the statement against the current schema, as Cassandra
// does, and returns its id and metadata.
func (e *cqlEngine) prepare(cur, text string) (*cqlResult, error) {
	st, err := parseCQLStatement(text)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	pl, err := e.plan(cur, st)
	if err != nil {
		return nil, err
	}
	// Like Cassandra's MD5 of keyspace and text: the same text prepared
	// under another keyspace is another statement.
	sum := sha256.Sum256([]byte(cur + "\x00" + text))
	id := sum[:16]
	e.prepared[string(id)] = &cqlPrepared{cur: cur, stmt: st}
	r := &cqlResult{kind: resPrepared, id: id, bind: pl.bind, pk: pl.pk, resultCols: pl.cols}
	if pl.t != nil {
		r.ks, r.table = pl.t.ks, pl.t.name
	}
	return r, nil
}

// execute runs a prepared statement, planned again so that it sees schema
// changes made since PREPARE.
func (e *cqlEngine) execute(id []byte, vals []cqlValue) (*cqlResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.prepared[string(id)]
	if p == nil {
		return nil, &cqlError{code: cqlErrUnprepared, msg: fmt.Sprintf("prepared statement %x not found", id), id: id}
	}
	pl, err := e.plan(p.cur, p.stmt)
	if err != nil {
		return nil, err
	}
	return e.run(pl, vals)
}

func parseCQLStatement(text string) (any, error) {
	st, err := parseCQL(text)
	if err != nil {
		return nil, &cqlError{code: cqlErrSyntax, msg: fmt.Sprintf("line 1: %v in statement %q", err, text)}
	}
	return st, nil
}

// cqlPlan is a statement checked against the schema.
type cqlPlan struct {
	stmt     any
	cur      string
	t        *cqlTable
	bind     []cqlColumn
	pk       []uint16
	cols     []cqlColumn // SELECT result columns
	colIdx   []int       // table column per INSERT value or per SELECT result column
	where    []cqlBound
	reversed bool
}

type cqlBound struct {
	col  int // -1 for the partition key's token
	op   string
	bind int
}

func (e *cqlEngine) table(cur, ks, name string) (*cqlTable, error) {
	if ks == "" {
		ks = cur
	}
	if ks == "" {
		return nil, invalidf("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
	}
	k := e.keyspaces[ks]
	if k == nil {
		return nil, invalidf("Keyspace %s does not exist", ks)
	}
	t := k.tables[name]
	if t == nil {
		return nil, invalidf("unconfigured table %s", name)
	}
	return t, nil
}

func (e *cqlEngine) plan(cur string, st any) (*cqlPlan, error) {
	pl := &cqlPlan{stmt: st, cur: cur}
	switch st := st.(type) {
	case cqlInsert:
		return pl, e.planInsert(pl, st)
	case cqlSelect:
		return pl, e.planSelect(pl, st)
	case cqlUpdate:
		return pl, e.planUpdate(pl, st) // batch.go
	}
	return pl, nil
}

func (e *cqlEngine) planInsert(pl *cqlPlan, st cqlInsert) error {
	t, err := e.table(pl.cur, st.ks, st.table)
	if err != nil {
		return err
	}
	pl.t = t
	seen := map[int]bool{}
	for _, name := range st.cols {
		ci, ok := t.idx[name]
		if !ok {
			return invalidf("Undefined column name %s", name)
		}
		if seen[ci] {
			return invalidf("Multiple definitions found for column %s", name)
		}
		seen[ci] = true
		pl.colIdx = append(pl.colIdx, ci)
		pl.bind = append(pl.bind, t.cols[ci])
	}
	for _, key := range [][]int{t.partition, t.clustering} {
		for _, ci := range key {
			if !seen[ci] {
				return invalidf("Some primary key parts are missing: %s", t.cols[ci].name)
			}
		}
	}
	for _, ci := range t.partition {
		pl.pk = append(pl.pk, uint16(slices.Index(pl.colIdx, ci)))
	}
	return nil
}

func (e *cqlEngine) planSelect(pl *cqlPlan, st cqlSelect) error {
	t, err := e.table(pl.cur, st.ks, st.table)
	if err != nil {
		return err
	}
	pl.t = t
	switch {
	case st.count:
		if st.distinct {
			return invalidf("stub does not implement COUNT with DISTINCT")
		}
		pl.cols = []cqlColumn{{"count", cqlBigint}}
	case st.cols == nil:
		if st.distinct {
			return invalidf("SELECT DISTINCT queries must only request partition key columns")
		}
		pl.colIdx = t.star
	default:
		for _, name := range st.cols {
			ci, ok := t.idx[name]
			if !ok {
				return invalidf("Undefined column name %s", name)
			}
			pl.colIdx = append(pl.colIdx, ci)
		}
	}
	for _, ci := range pl.colIdx {
		pl.cols = append(pl.cols, t.cols[ci])
	}
	if st.distinct {
		for _, ci := range pl.colIdx {
			if !slices.Contains(t.partition, ci) {
				return invalidf("SELECT DISTINCT queries must only request partition key columns and/or static columns (not %s)", t.cols[ci].name)
			}
		}
		for _, ci := range t.partition {
			if !slices.Contains(pl.colIdx, ci) {
				return invalidf("SELECT DISTINCT queries must request all the partition key columns (missing %s)", t.cols[ci].name)
			}
		}
	}

	const filtering = "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING"
	eq, rng := map[int]bool{}, map[int]bool{}
	tokenRestricted := false
	for i, r := range st.where {
		if r.token != nil {
			var cols []int
			for _, name := range r.token {
				ci, ok := t.idx[name]
				if !ok {
					return invalidf("Undefined column name %s", name)
				}
				cols = append(cols, ci)
			}
			if !slices.Equal(cols, t.partition) {
				return invalidf("The token function arguments must be in the partition key order: %s", strings.Join(r.token, ", "))
			}
			tokenRestricted = true
			pl.where = append(pl.where, cqlBound{col: -1, op: r.op, bind: i})
			pl.bind = append(pl.bind, cqlColumn{"partition key token", cqlBigint})
			continue
		}
		ci, ok := t.idx[r.col]
		if !ok {
			return invalidf("Undefined column name %s", r.col)
		}
		isPart, isClust := slices.Contains(t.partition, ci), slices.Contains(t.clustering, ci)
		switch {
		case !isPart && !isClust:
			return invalidf("%s", filtering)
		case isPart && r.op != "=":
			return invalidf("Only EQ and IN relation are supported on the partition key (unless you use the token() function)")
		case eq[ci] || (r.op == "=" && rng[ci]):
			return invalidf("%s cannot be restricted by more than one relation if it includes an Equal", r.col)
		case st.distinct && isClust:
			return invalidf("SELECT DISTINCT with WHERE clause only supports restriction by partition key and/or static columns.")
		}
		if r.op == "=" {
			eq[ci] = true
		} else {
			rng[ci] = true
		}
		pl.where = append(pl.where, cqlBound{col: ci, op: r.op, bind: i})
		pl.bind = append(pl.bind, t.cols[ci])
	}
	partRestricted := 0
	for _, ci := range t.partition {
		if eq[ci] {
			partRestricted++
		}
	}
	if partRestricted > 0 && partRestricted < len(t.partition) {
		return invalidf("Partition key parts must all be restricted as other parts are")
	}
	if tokenRestricted && (partRestricted > 0 || len(rng) > 0) {
		return invalidf("stub supports token() restrictions only alone")
	}
	if partRestricted == 0 && len(st.where) > 0 && !tokenRestricted {
		return invalidf("%s", filtering)
	}
	for i, ci := range t.clustering {
		if eq[ci] {
			continue
		}
		for _, cj := range t.clustering[i+1:] {
			if eq[cj] || rng[cj] {
				if rng[ci] {
					return invalidf("Clustering column %q cannot be restricted (preceding column %q is restricted by a non-EQ relation)", t.cols[cj].name, t.cols[ci].name)
				}
				return invalidf("PRIMARY KEY column %q cannot be restricted as preceding column %q is not restricted", t.cols[cj].name, t.cols[ci].name)
			}
		}
		break
	}
	if partRestricted == len(t.partition) {
		for _, ci := range t.partition {
			pl.pk = append(pl.pk, uint16(slices.IndexFunc(pl.where, func(b cqlBound) bool { return b.col == ci })))
		}
	}

	if len(st.order) > 0 {
		if partRestricted == 0 {
			return invalidf("ORDER BY is only supported when the partition key is restricted by an EQ or an IN.")
		}
		var reversed *bool
		pos := 0
		for _, o := range st.order {
			ci, ok := t.idx[o.col]
			if !ok {
				return invalidf("Undefined column name %s", o.col)
			}
			k := slices.Index(t.clustering, ci)
			if k < 0 {
				return invalidf("Order by is currently only supported on the clustered columns of the PRIMARY KEY, got %s", o.col)
			}
			for ; pos < k; pos++ {
				if !eq[t.clustering[pos]] {
					return invalidf("Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY")
				}
			}
			if pos > k {
				return invalidf("Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY")
			}
			pos = k + 1
			r := o.desc != t.desc[k]
			if reversed != nil && *reversed != r {
				return invalidf("Unsupported order by relation")
			}
			reversed = &r
		}
		pl.reversed = *reversed
	}
	if st.limitBind {
		pl.bind = append(pl.bind, cqlColumn{"[limit]", cqlInt})
	}
	return nil
}

func (e *cqlEngine) run(pl *cqlPlan, vals []cqlValue) (*cqlResult, error) {
	if len(vals) != len(pl.bind) {
		return nil, invalidf("There were %d markers(?) in CQL but %d bound variables", len(pl.bind), len(vals))
	}
	for i, v := range vals {
		if err := checkCQLValue(pl.bind[i], v.b); err != nil {
			return nil, err
		}
	}
	switch st := pl.stmt.(type) {
	case cqlCreateKeyspace:
		return e.createKeyspace(st)
	case cqlDropKeyspace:
		if e.keyspaces[st.name] == nil {
			if st.ifExists {
				return &cqlResult{kind: resVoid}, nil
			}
			return nil, &cqlError{code: cqlErrConfig, msg: fmt.Sprintf("Cannot drop non existing keyspace '%s'.", st.name)}
		}
		delete(e.keyspaces, st.name)
		return &cqlResult{kind: resSchemaChange, change: "DROPPED", target: "KEYSPACE", keyspace: st.name}, nil
	case cqlUse:
		if e.keyspaces[st.name] == nil {
			return nil, invalidf("Keyspace '%s' does not exist", st.name)
		}
		return &cqlResult{kind: resSetKeyspace, keyspace: st.name}, nil
	case cqlCreateTable:
		return e.createTable(pl.cur, st)
	case cqlInsert:
		return e.insert(pl, st, vals)
	case cqlSelect:
		return e.selectRows(pl, st, vals)
	case cqlUpdate:
		return e.update(pl, st, vals) // batch.go
	}
	return nil, &cqlError{code: cqlErrSyntax, msg: fmt.Sprintf("stub cannot run %T", pl.stmt)}
}

func checkCQLValue(c cqlColumn, v []byte) error {
	want := 0
	switch c.typ {
	case cqlInt:
		want = 4
	case cqlBigint, cqlDouble, cqlTimestamp:
		want = 8
	case cqlBoolean:
		want = 1
	}
	if want != 0 && len(v) != 0 && len(v) != want {
		return invalidf("Expected %d or 0 byte value for %s (%d)", want, c.name, len(v))
	}
	if c.typ == cqlVarchar && !utf8.Valid(v) {
		return invalidf("Invalid UTF-8 bytes for %s", c.name)
	}
	return nil
}

func (e *cqlEngine) createKeyspace(st cqlCreateKeyspace) (*cqlResult, error) {
	if e.keyspaces[st.name] != nil {
		if st.ifNotExists {
			return &cqlResult{kind: resVoid}, nil
		}
		return nil, &cqlError{code: cqlErrAlreadyExists, msg: fmt.Sprintf("Keyspace '%s' already exists", st.name), ks: st.name}
	}
	config := func(format string, args ...any) (*cqlResult, error) {
		return nil, &cqlError{code: cqlErrConfig, msg: fmt.Sprintf(format, args...)}
	}
	rep := st.replication
	class := strings.TrimPrefix(rep["class"], "org.apache.cassandra.locator.")
	switch class {
	case "SimpleStrategy":
		for k, v := range rep {
			if k != "class" && k != "replication_factor" {
				return config("Unrecognized strategy option {%s} passed to SimpleStrategy for keyspace %s", k, st.name)
			}
			if k == "replication_factor" {
				if n, err := strconv.Atoi(v); err != nil || n < 1 {
					return config("Replication factor must be a positive integer, got %q", v)
				}
			}
		}
		if _, ok := rep["replication_factor"]; !ok {
			return config("SimpleStrategy requires a replication_factor strategy option.")
		}
	case "NetworkTopologyStrategy":
		if len(rep) < 2 {
			return config("Configuration for at least one datacenter must be present")
		}
		for k, v := range rep {
			if k == "class" {
				continue
			}
			if n, err := strconv.Atoi(v); err != nil || n < 0 {
				return config("Replication factor of datacenter %s must be a non-negative integer, got %q", k, v)
			}
		}
	case "":
		return config("Missing replication strategy class")
	default:
		return config("Unable to find replication strategy class '%s'", rep["class"])
	}
	e.keyspaces[st.name] = &cqlKeyspace{name: st.name, replication: maps.Clone(rep), tables: map[string]*cqlTable{}}
	return &cqlResult{kind: resSchemaChange, change: "CREATED", target: "KEYSPACE", keyspace: st.name}, nil
}

func (e *cqlEngine) createTable(cur string, st cqlCreateTable) (*cqlResult, error) {
	ks := st.ks
	if ks == "" {
		ks = cur
	}
	if ks == "" {
		return nil, invalidf("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
	}
	k := e.keyspaces[ks]
	if k == nil {
		return nil, invalidf("Keyspace %s does not exist", ks)
	}
	if k.tables[st.name] != nil {
		if st.ifNotExists {
			return &cqlResult{kind: resVoid}, nil
		}
		return nil, &cqlError{code: cqlErrAlreadyExists, msg: fmt.Sprintf("Table %s.%s already exists", ks, st.name), ks: ks, table: st.name}
	}
	t := &cqlTable{ks: ks, name: st.name, cols: st.cols, idx: map[string]int{}, rows: map[string][][]byte{}}
	for i, c := range st.cols {
		if _, dup := t.idx[c.name]; dup {
			return nil, invalidf("Multiple definition of identifier %s", c.name)
		}
		t.idx[c.name] = i
	}
	if len(st.partition) == 0 {
		return nil, invalidf("No PRIMARY KEY specifed (exactly one required)")
	}
	inKey := map[int]bool{}
	for _, part := range []struct {
		names []string
		into  *[]int
	}{{st.partition, &t.partition}, {st.clustering, &t.clustering}} {
		for _, n := range part.names {
			ci, ok := t.idx[n]
			if !ok {
				return nil, invalidf("Unknown definition %s referenced in PRIMARY KEY", n)
			}
			if inKey[ci] {
				return nil, invalidf("Multiple definition of identifier %s", n)
			}
			inKey[ci] = true
			*part.into = append(*part.into, ci)
		}
	}
	t.desc = make([]bool, len(t.clustering))
	for i, o := range st.order {
		ci, ok := t.idx[o.col]
		k := slices.Index(t.clustering, ci)
		if !ok || k < 0 {
			return nil, invalidf("Only clustering key columns can be defined in CLUSTERING ORDER directive: %s", o.col)
		}
		if k != i {
			return nil, invalidf("The order of columns in the CLUSTERING ORDER directive must match that of the clustering columns (%s is not in position %d)", o.col, i+1)
		}
		t.desc[k] = o.desc
	}
	t.star = append(append([]int{}, t.partition...), t.clustering...)
	var rest []int
	for i := range t.cols {
		if !inKey[i] {
			rest = append(rest, i)
		}
	}
	sort.Slice(rest, func(a, b int) bool { return t.cols[rest[a]].name < t.cols[rest[b]].name })
	t.star = append(t.star, rest...)
	k.tables[st.name] = t
	return &cqlResult{kind: resSchemaChange, change: "CREATED", target: "TABLE", keyspace: ks, object: st.name}, nil
}

// key encodes a row's primary key as a map key.
func (t *cqlTable) key(row [][]byte) string {
	var b []byte
	for _, part := range [][]int{t.partition, t.clustering} {
		for _, ci := range part {
			b = binary.BigEndian.AppendUint32(b, uint32(len(row[ci])))
			b = append(b, row[ci]...)
		}
	}
	return string(b)
}

// token is the row's partition token. Cassandra's Murmur3Partitioner hashes
// the partition key with Murmur3; the stub uses FNV-1a of the same bytes
// through Murmur3's 64-bit finaliser (FNV alone leaves keys that differ in
// their last byte close together): partitions come in another order than
// Cassandra's, spread as evenly over the tokens, and token() relations
// follow that order, which is the contract a caller can rely on.
func (t *cqlTable) token(row [][]byte) int64 {
	h := fnv.New64a()
	for _, ci := range t.partition {
		h.Write(row[ci])
	}
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return int64(x)
}

// comparePartition orders partitions by token, then by key (a tie of two
// keys' tokens).
func (t *cqlTable) comparePartition(a, b [][]byte) int {
	if c := cmp.Compare(t.token(a), t.token(b)); c != 0 {
		return c
	}
	for _, ci := range t.partition {
		if c := cqlCompare(t.cols[ci].typ, a[ci], b[ci]); c != 0 {
			return c
		}
	}
	return 0
}

// compare orders rows by partition, then by clustering key in its declared
// order.
func (t *cqlTable) compare(a, b [][]byte) int {
	if c := t.comparePartition(a, b); c != 0 {
		return c
	}
	for k, ci := range t.clustering {
		c := cqlCompare(t.cols[ci].typ, a[ci], b[ci])
		if t.desc[k] {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// cqlCompare orders two serialised values of type typ as Cassandra does.
func cqlCompare(typ uint16, a, b []byte) int {
	if len(a) == 0 || len(b) == 0 {
		return cmp.Compare(len(a), len(b)) // an empty value sorts first
	}
	switch typ {
	case cqlInt:
		return cmp.Compare(int32(binary.BigEndian.Uint32(a)), int32(binary.BigEndian.Uint32(b)))
	case cqlBigint, cqlTimestamp:
		return cmp.Compare(int64(binary.BigEndian.Uint64(a)), int64(binary.BigEndian.Uint64(b)))
	case cqlDouble:
		return cmp.Compare(math.Float64frombits(binary.BigEndian.Uint64(a)), math.Float64frombits(binary.BigEndian.Uint64(b)))
	}
	return bytes.Compare(a, b) // text (UTF-8 byte order), blob, boolean
}

func (e *cqlEngine) insert(pl *cqlPlan, st cqlInsert, vals []cqlValue) (*cqlResult, error) {
	t := pl.t
	row := make([][]byte, len(t.cols))
	set := make([]bool, len(t.cols))
	for i, ci := range pl.colIdx {
		v := vals[i]
		isKey := slices.Contains(t.partition, ci) || slices.Contains(t.clustering, ci)
		switch {
		case isKey && v.unset:
			return nil, invalidf("Invalid unset value for column %s", t.cols[ci].name)
		case isKey && v.b == nil:
			return nil, invalidf("Invalid null value in condition for column %s", t.cols[ci].name)
		case v.unset:
			continue
		}
		if v.b != nil {
			row[ci] = bytes.Clone(v.b)
		}
		set[ci] = true
	}
	key := t.key(row)
	old, exists := t.rows[key]
	if st.ifNotExists {
		applied := &cqlResult{kind: resRows, ks: t.ks, table: t.name, cols: []cqlColumn{{"[applied]", cqlBoolean}}}
		if exists {
			// Not applied: Cassandra returns the existing row after [applied].
			r := [][]byte{{0}}
			for _, ci := range t.star {
				applied.cols = append(applied.cols, t.cols[ci])
				r = append(r, old[ci])
			}
			applied.rows = [][][]byte{r}
			return applied, nil
		}
		t.rows[key] = row
		applied.rows = [][][]byte{{{1}}}
		return applied, nil
	}
	if exists {
		// An INSERT is an upsert of the columns it names; stored rows are
		// never modified in place because results may still refer to them.
		merged := slices.Clone(old)
		for ci := range row {
			if set[ci] {
				merged[ci] = row[ci]
			}
		}
		row = merged
	}
	t.rows[key] = row
	return &cqlResult{kind: resVoid}, nil
}

func (e *cqlEngine) selectRows(pl *cqlPlan, st cqlSelect, vals []cqlValue) (*cqlResult, error) {
	t := pl.t
	for _, w := range pl.where {
		name := "partition key token"
		if w.col >= 0 {
			name = t.cols[w.col].name
		}
		if v := vals[w.bind]; v.unset {
			return nil, invalidf("Invalid unset value for column %s", name)
		} else if v.b == nil {
			return nil, invalidf("Invalid null value in condition for column %s", name)
		}
	}
	limit := st.limit
	if st.limitBind {
		v := vals[len(vals)-1]
		if v.unset || len(v.b) != 4 {
			return nil, invalidf("Invalid null or unset value of limit")
		}
		if limit = int(int32(binary.BigEndian.Uint32(v.b))); limit <= 0 {
			return nil, invalidf("LIMIT must be strictly positive")
		}
	}
	var matched [][][]byte
	for _, row := range t.rows {
		ok := true
		for _, w := range pl.where {
			var c int
			if w.col < 0 {
				c = cmp.Compare(t.token(row), int64(binary.BigEndian.Uint64(vals[w.bind].b)))
			} else {
				c = cqlCompare(t.cols[w.col].typ, row[w.col], vals[w.bind].b)
			}
			switch w.op {
			case "=":
				ok = ok && c == 0
			case "<":
				ok = ok && c < 0
			case "<=":
				ok = ok && c <= 0
			case ">":
				ok = ok && c > 0
			case ">=":
				ok = ok && c >= 0
			}
		}
		if ok {
			matched = append(matched, row)
		}
	}
	slices.SortFunc(matched, t.compare)
	if pl.reversed {
		slices.Reverse(matched)
	}
	if st.distinct {
		matched = slices.CompactFunc(matched, func(a, b [][]byte) bool { return t.comparePartition(a, b) == 0 })
	}
	res := &cqlResult{kind: resRows, ks: t.ks, table: t.name, cols: pl.cols}
	if st.count {
		res.rows = [][][]byte{{binary.BigEndian.AppendUint64(nil, uint64(len(matched)))}}
		return res, nil
	}
	if limit > 0 && len(matched) > limit {
		matched = matched[:limit]
	}
	for _, row := range matched {
		out := make([][]byte, len(pl.colIdx))
		for i, ci := range pl.colIdx {
			out[i] = row[ci]
		}
		res.rows = append(res.rows, out)
	}
	return res, nil
}

// replication returns a keyspace's replication options.
func (e *cqlEngine) replication(ks string) (map[string]string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := e.keyspaces[ks]
	if k == nil {
		return nil, false
	}
	return maps.Clone(k.replication), true
}
