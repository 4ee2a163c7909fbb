package cqltest

import (
	"fmt"
	"strconv"
	"strings"
)

// The parser covers only the statement shapes the Cassandra store sends
// (see engine.go). Anything else is a syntax error naming the statement,
// so a store that drifts from that subset fails loudly in tests instead of
// being silently accepted.

type cqlTokKind int

const (
	tokEOF    cqlTokKind = iota
	tokIdent             // unquoted identifier or keyword
	tokQIdent            // "quoted identifier"
	tokString            // 'string literal'
	tokNumber
	tokBind // ?
	tokPunct
)

type cqlToken struct {
	kind cqlTokKind
	s    string
}

func lexCQL(src string) ([]cqlToken, error) {
	var toks []cqlToken
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			toks = append(toks, cqlToken{tokIdent, src[i:j]})
			i = j
		case c == '"' || c == '\'':
			var sb strings.Builder
			j := i + 1
			for {
				if j >= len(src) {
					return nil, fmt.Errorf("unterminated %c", c)
				}
				if src[j] == c {
					if j+1 < len(src) && src[j+1] == c { // doubled quote escapes itself
						sb.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				sb.WriteByte(src[j])
				j++
			}
			kind := tokString
			if c == '"' {
				kind = tokQIdent
			}
			toks = append(toks, cqlToken{kind, sb.String()})
			i = j + 1
		case isDigit(c) || (c == '-' && i+1 < len(src) && isDigit(src[i+1])):
			j := i + 1
			for j < len(src) && (isDigit(src[j]) || src[j] == '.' || src[j] == 'e' || src[j] == 'E' ||
				((src[j] == '+' || src[j] == '-') && (src[j-1] == 'e' || src[j-1] == 'E'))) {
				j++
			}
			toks = append(toks, cqlToken{tokNumber, src[i:j]})
			i = j
		case c == '?':
			toks = append(toks, cqlToken{tokBind, "?"})
			i++
		case strings.HasPrefix(src[i:], "<=") || strings.HasPrefix(src[i:], ">=") || strings.HasPrefix(src[i:], "!="):
			toks = append(toks, cqlToken{tokPunct, src[i : i+2]})
			i += 2
		case strings.IndexByte("(),;=<>*{}:.", c) >= 0:
			toks = append(toks, cqlToken{tokPunct, string(c)})
			i++
		default:
			return nil, fmt.Errorf("unexpected character %q", c)
		}
	}
	return append(toks, cqlToken{kind: tokEOF}), nil
}

func isIdentStart(c byte) bool { return c == '_' || (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }

// Statements the engine understands.
type (
	cqlCreateKeyspace struct {
		name        string
		ifNotExists bool
		replication map[string]string
	}
	cqlDropKeyspace struct {
		name     string
		ifExists bool
	}
	cqlUse         struct{ name string }
	cqlCreateTable struct {
		ks, name    string
		ifNotExists bool
		cols        []cqlColumn
		partition   []string
		clustering  []string
		order       []cqlOrder // CLUSTERING ORDER BY, empty = all ascending
	}
	cqlInsert struct {
		ks, table   string
		cols        []string // one ? per column
		ifNotExists bool
	}
	cqlSelect struct {
		ks, table string
		distinct  bool
		count     bool     // COUNT(*)
		cols      []string // nil with * or COUNT(*)
		where     []cqlRelation
		order     []cqlOrder
		limit     int  // literal LIMIT, 0 = none
		limitBind bool // LIMIT ?
	}
)

type cqlRelation struct {
	col   string
	op    string   // = < <= > >=
	token []string // token(c, ...) op ?: the columns, and col is empty
}

type cqlOrder struct {
	col  string
	desc bool
}

type cqlParser struct {
	toks []cqlToken
	i    int
}

func (p *cqlParser) peek() cqlToken { return p.toks[p.i] }

// at looks j tokens ahead, stopping at the end.
func (p *cqlParser) at(j int) cqlToken { return p.toks[min(p.i+j, len(p.toks)-1)] }

func (p *cqlParser) next() cqlToken {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

// acceptKw consumes the keywords kws if they come next, all of them or none.
func (p *cqlParser) acceptKw(kws ...string) bool {
	for j, kw := range kws {
		if t := p.at(j); t.kind != tokIdent || !strings.EqualFold(t.s, kw) {
			return false
		}
	}
	p.i += len(kws)
	return true
}

func (p *cqlParser) expectKw(kws ...string) error {
	if !p.acceptKw(kws...) {
		return p.errorf("expected %s", strings.ToUpper(strings.Join(kws, " ")))
	}
	return nil
}

func (p *cqlParser) accept(punct string) bool {
	if t := p.peek(); t.kind == tokPunct && t.s == punct {
		p.i++
		return true
	}
	return false
}

func (p *cqlParser) expect(punct string) error {
	if !p.accept(punct) {
		return p.errorf("expected %q", punct)
	}
	return nil
}

func (p *cqlParser) errorf(format string, args ...any) error {
	t := p.peek()
	at := t.s
	if t.kind == tokEOF {
		at = "end of statement"
	}
	return fmt.Errorf(format+" at %q", append(args, at)...)
}

// name reads an identifier: unquoted ones are case-insensitive (folded to
// lower case), quoted ones are kept as written, as in Cassandra.
func (p *cqlParser) name() (string, error) {
	switch t := p.peek(); t.kind {
	case tokIdent:
		p.i++
		return strings.ToLower(t.s), nil
	case tokQIdent:
		p.i++
		return t.s, nil
	}
	return "", p.errorf("expected an identifier")
}

func (p *cqlParser) qualified() (ks, name string, err error) {
	if name, err = p.name(); err != nil {
		return "", "", err
	}
	if p.accept(".") {
		ks = name
		name, err = p.name()
	}
	return ks, name, err
}

func (p *cqlParser) names() ([]string, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var out []string
	for {
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		if p.accept(")") {
			return out, nil
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
}

// parseCQL parses one statement of the supported subset.
func parseCQL(src string) (any, error) {
	toks, err := lexCQL(src)
	if err != nil {
		return nil, err
	}
	p := &cqlParser{toks: toks}
	var st any
	switch {
	case p.acceptKw("create", "keyspace"):
		st, err = p.createKeyspace()
	case p.acceptKw("create", "table"):
		st, err = p.createTable()
	case p.acceptKw("drop", "keyspace"):
		d := cqlDropKeyspace{ifExists: p.acceptKw("if", "exists")}
		d.name, err = p.name()
		st = d
	case p.acceptKw("use"):
		var u cqlUse
		u.name, err = p.name()
		st = u
	case p.acceptKw("insert", "into"):
		st, err = p.insert()
	case p.acceptKw("select"):
		st, err = p.selectStmt()
	case p.acceptKw("update"):
		st, err = p.update() // batch.go
	default:
		return nil, p.errorf("unsupported statement")
	}
	if err != nil {
		return nil, err
	}
	p.accept(";")
	if p.peek().kind != tokEOF {
		return nil, p.errorf("unexpected input")
	}
	return st, nil
}

func (p *cqlParser) createKeyspace() (any, error) {
	st := cqlCreateKeyspace{ifNotExists: p.acceptKw("if", "not", "exists"), replication: map[string]string{}}
	var err error
	if st.name, err = p.name(); err != nil {
		return nil, err
	}
	if err := p.expectKw("with"); err != nil {
		return nil, err
	}
	for {
		switch {
		case p.acceptKw("replication"):
			if err := p.expect("="); err != nil {
				return nil, err
			}
			if err := p.mapLiteral(st.replication); err != nil {
				return nil, err
			}
		case p.acceptKw("durable_writes"):
			if err := p.expect("="); err != nil {
				return nil, err
			}
			if !p.acceptKw("true") && !p.acceptKw("false") {
				return nil, p.errorf("expected true or false")
			}
		default:
			return nil, p.errorf("unsupported keyspace option")
		}
		if !p.acceptKw("and") {
			return st, nil
		}
	}
}

func (p *cqlParser) mapLiteral(into map[string]string) error {
	if err := p.expect("{"); err != nil {
		return err
	}
	if p.accept("}") {
		return nil
	}
	for {
		k := p.next()
		if k.kind != tokString {
			return p.errorf("expected a string key")
		}
		if err := p.expect(":"); err != nil {
			return err
		}
		v := p.next()
		if v.kind != tokString && v.kind != tokNumber {
			return p.errorf("expected a string or number")
		}
		into[k.s] = v.s
		if p.accept("}") {
			return nil
		}
		if err := p.expect(","); err != nil {
			return err
		}
	}
}

func (p *cqlParser) createTable() (any, error) {
	st := cqlCreateTable{ifNotExists: p.acceptKw("if", "not", "exists")}
	var err error
	if st.ks, st.name, err = p.qualified(); err != nil {
		return nil, err
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	for {
		if p.acceptKw("primary", "key") {
			if st.partition != nil {
				return nil, p.errorf("multiple PRIMARY KEY definitions")
			}
			if err := p.primaryKey(&st); err != nil {
				return nil, err
			}
		} else {
			name, err := p.name()
			if err != nil {
				return nil, err
			}
			typ := p.next()
			if typ.kind != tokIdent {
				return nil, p.errorf("expected a type for column %s", name)
			}
			ct, ok := cqlTypeIDs[strings.ToLower(typ.s)]
			if !ok || p.peek().s == "<" {
				return nil, fmt.Errorf("type %s of column %s is not supported by the stub", typ.s, name)
			}
			st.cols = append(st.cols, cqlColumn{name: name, typ: ct})
			if p.acceptKw("primary", "key") {
				if st.partition != nil {
					return nil, p.errorf("multiple PRIMARY KEY definitions")
				}
				st.partition = []string{name}
			}
		}
		if p.accept(")") {
			break
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
		if p.accept(")") {
			break
		}
	}
	if p.acceptKw("with") {
		for {
			if err := p.expectKw("clustering", "order", "by"); err != nil {
				return nil, fmt.Errorf("stub supports only the CLUSTERING ORDER BY table option: %w", err)
			}
			if err := p.expect("("); err != nil {
				return nil, err
			}
			for {
				o, err := p.orderTerm()
				if err != nil {
					return nil, err
				}
				st.order = append(st.order, o)
				if p.accept(")") {
					break
				}
				if err := p.expect(","); err != nil {
					return nil, err
				}
			}
			if !p.acceptKw("and") {
				break
			}
		}
	}
	return st, nil
}

// primaryKey reads (pk, c1, c2) or ((pk1, pk2), c1).
func (p *cqlParser) primaryKey(st *cqlCreateTable) error {
	if err := p.expect("("); err != nil {
		return err
	}
	if t := p.peek(); t.kind == tokPunct && t.s == "(" {
		parts, err := p.names()
		if err != nil {
			return err
		}
		st.partition = parts
	} else {
		n, err := p.name()
		if err != nil {
			return err
		}
		st.partition = []string{n}
	}
	st.clustering = []string{}
	for p.accept(",") {
		n, err := p.name()
		if err != nil {
			return err
		}
		st.clustering = append(st.clustering, n)
	}
	return p.expect(")")
}

func (p *cqlParser) insert() (any, error) {
	var st cqlInsert
	var err error
	if st.ks, st.table, err = p.qualified(); err != nil {
		return nil, err
	}
	if st.cols, err = p.names(); err != nil {
		return nil, err
	}
	if err := p.expectKw("values"); err != nil {
		return nil, err
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	for n := 0; ; n++ {
		if p.next().kind != tokBind {
			return nil, fmt.Errorf("stub accepts only ? bind markers in VALUES")
		}
		if p.accept(")") {
			if n+1 != len(st.cols) {
				return nil, fmt.Errorf("unmatched column names/values: %d columns, %d values", len(st.cols), n+1)
			}
			break
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
	st.ifNotExists = p.acceptKw("if", "not", "exists")
	return st, nil
}

func (p *cqlParser) selectStmt() (any, error) {
	var st cqlSelect
	var err error
	st.distinct = p.acceptKw("distinct")
	switch {
	case p.accept("*"):
	case p.at(0).kind == tokIdent && strings.EqualFold(p.at(0).s, "count") && p.at(1).kind == tokPunct && p.at(1).s == "(":
		p.i += 2
		if !p.accept("*") {
			if t := p.next(); t.kind != tokNumber || t.s != "1" {
				return nil, p.errorf("expected COUNT(*) or COUNT(1)")
			}
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		st.count = true
	default:
		for {
			n, err := p.name()
			if err != nil {
				return nil, err
			}
			st.cols = append(st.cols, n)
			if !p.accept(",") {
				break
			}
		}
	}
	if err := p.expectKw("from"); err != nil {
		return nil, err
	}
	if st.ks, st.table, err = p.qualified(); err != nil {
		return nil, err
	}
	if p.acceptKw("where") {
		for {
			var r cqlRelation
			if t := p.peek(); t.kind == tokIdent && strings.EqualFold(t.s, "token") && p.at(1).s == "(" {
				p.i++
				if r.token, err = p.names(); err != nil {
					return nil, err
				}
			} else if r.col, err = p.name(); err != nil {
				return nil, err
			}
			op := p.next()
			switch op.s {
			case "=", "<", "<=", ">", ">=":
				r.op = op.s
			default:
				return nil, p.errorf("unsupported relation %q", op.s)
			}
			if p.next().kind != tokBind {
				return nil, fmt.Errorf("stub accepts only ? bind markers in WHERE")
			}
			st.where = append(st.where, r)
			if !p.acceptKw("and") {
				break
			}
		}
	}
	if p.acceptKw("order", "by") {
		for {
			o, err := p.orderTerm()
			if err != nil {
				return nil, err
			}
			st.order = append(st.order, o)
			if !p.accept(",") {
				break
			}
		}
	}
	if p.acceptKw("limit") {
		switch t := p.next(); t.kind {
		case tokBind:
			st.limitBind = true
		case tokNumber:
			n, err := strconv.Atoi(t.s)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("LIMIT must be strictly positive")
			}
			st.limit = n
		default:
			return nil, p.errorf("expected a LIMIT")
		}
	}
	if p.acceptKw("allow", "filtering") {
		return nil, fmt.Errorf("stub does not implement ALLOW FILTERING")
	}
	return st, nil
}

// orderTerm reads "column [ASC|DESC]" of a CLUSTERING ORDER BY or ORDER BY.
func (p *cqlParser) orderTerm() (cqlOrder, error) {
	var o cqlOrder
	var err error
	if o.col, err = p.name(); err != nil {
		return o, err
	}
	o.desc = p.acceptKw("desc")
	if !o.desc {
		p.acceptKw("asc")
	}
	return o, nil
}
