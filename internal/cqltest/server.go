package cqltest

import (
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// Server is a CQL native protocol v4 server behind TLS. It answers
// OPTIONS, STARTUP, REGISTER and the queries gocql sends while connecting
// (system.local, system.peers), and runs QUERY, PREPARE and EXECUTE frames
// on a small in-memory engine (engine.go) with Cassandra's semantics for
// the statements the Cassandra store uses. Other statements are errors,
// including gocql's schema-metadata queries on system_schema (gocql logs
// that and carries on without schema metadata). It is hand-written because
// no Go library serves CQL: it is a contract-test double and a TLS
// endpoint, not a database.
type Server struct {
	Addr string

	tls    *tls.Config
	engine *cqlEngine // survives Restart

	mu         sync.Mutex
	ln         net.Listener
	closed     bool // ln is closed: connections still being accepted are dropped
	conns      map[net.Conn]struct{}
	wg         sync.WaitGroup
	queries    []string
	handshakes []error
}

// Start listens on 127.0.0.1 with cfg (nil = plaintext) and stops when
// the test ends.
func Start(t testing.TB, cfg *tls.Config) *Server {
	t.Helper()
	s := &Server{tls: cfg, engine: newCQLEngine()}
	if err := s.listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func (s *Server) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.Addr = ln.Addr().String()
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
	}
	s.mu.Lock()
	s.ln, s.closed = ln, false
	s.conns = map[net.Conn]struct{}{}
	s.mu.Unlock()
	s.wg.Add(1)
	go s.serve(ln)
	return nil
}

// Close stops the listener, drops open connections and waits for their
// handlers to end.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Restart drops every connection and listens again on the same address,
// keeping the data, as a node restart does; clients must reconnect.
func (s *Server) Restart() error {
	s.Close()
	return s.listen(s.Addr)
}

// Replication returns the replication options a keyspace was created with.
func (s *Server) Replication(keyspace string) (map[string]string, bool) {
	return s.engine.replication(keyspace)
}

// Queries returns the statements received so far in QUERY and PREPARE
// frames.
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

// HandshakeErrors returns the TLS handshake failures seen by the server.
func (s *Server) HandshakeErrors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.handshakes...)
}

func (s *Server) serve(ln net.Listener) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			if tc, ok := c.(*tls.Conn); ok {
				if err := tc.Handshake(); err != nil {
					s.mu.Lock()
					s.handshakes = append(s.handshakes, err)
					s.mu.Unlock()
					return
				}
			}
			s.handle(c)
		}()
	}
}

// CQL v4 opcodes.
const (
	opError     = 0x00
	opStartup   = 0x01
	opReady     = 0x02
	opOptions   = 0x05
	opSupported = 0x06
	opQuery     = 0x07
	opResult    = 0x08
	opPrepare   = 0x09
	opExecute   = 0x0A
	opRegister  = 0x0B
)

// maxCQLFrame is Cassandra's default native_transport_max_frame_size.
const maxCQLFrame = 256 << 20

func (s *Server) handle(c net.Conn) {
	hdr := make([]byte, 9)
	keyspace := "" // set by USE, per connection as in Cassandra
	for {
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		if hdr[0]&0x7f != 4 {
			// Answer with a protocol error in the client's version so it downgrades or stops.
			e := &cqlError{code: cqlErrProtocol, msg: "stub speaks only protocol v4"}
			_ = writeFrame(c, hdr[0]&0x7f, hdr[2:4], opError, e.encode())
			return
		}
		n := binary.BigEndian.Uint32(hdr[5:9])
		if n > maxCQLFrame {
			return
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		op, b := s.respond(c, hdr[1], hdr[4], body, &keyspace)
		if err := writeFrame(c, 4, hdr[2:4], op, b); err != nil {
			return
		}
	}
}

// Frame header flags.
const (
	flagCompression   = 0x01
	flagCustomPayload = 0x04
)

// respond answers one request frame.
func (s *Server) respond(c net.Conn, flags, opcode byte, body []byte, keyspace *string) (byte, buf) {
	fail := func(err error) (byte, buf) {
		var e *cqlError
		if !errors.As(err, &e) {
			e = &cqlError{code: cqlErrProtocol, msg: err.Error()}
		}
		return opError, e.encode()
	}
	if flags&flagCompression != 0 {
		return fail(errors.New("stub does not implement compression"))
	}
	r := &cqlReader{b: body}
	if flags&flagCustomPayload != 0 {
		for n := r.u16(); n > 0 && r.err == nil; n-- {
			r.str()
			r.value()
		}
	}
	var (
		res      *cqlResult
		err      error
		skipMeta bool
	)
	switch opcode {
	case opOptions:
		var b buf
		b.short(2)
		b.str("CQL_VERSION")
		b.short(1)
		b.str("3.4.4")
		b.str("COMPRESSION")
		b.short(0)
		return opSupported, b
	case opStartup, opRegister:
		return opReady, nil
	case opQuery:
		q := r.longStr()
		s.record(q)
		if op, b, ok := systemAnswer(c, q); ok {
			return op, b
		}
		var vals []cqlValue
		if vals, _, err = r.queryParams(); err != nil {
			return fail(err)
		}
		res, err = s.engine.query(*keyspace, q, vals)
	case opPrepare:
		q := r.longStr()
		s.record(q)
		if r.err != nil {
			return fail(r.err)
		}
		res, err = s.engine.prepare(*keyspace, q)
	case opExecute:
		id := r.shortBytes()
		var vals []cqlValue
		if vals, skipMeta, err = r.queryParams(); err != nil {
			return fail(err)
		}
		res, err = s.engine.execute(id, vals)
	case opBatch:
		res, err = s.batch(r, *keyspace) // batch.go
	default:
		return fail(fmt.Errorf("stub does not implement opcode 0x%02x", opcode))
	}
	if err != nil {
		return fail(err)
	}
	if res.kind == resSetKeyspace {
		*keyspace = res.keyspace
	}
	return opResult, res.encode(skipMeta)
}

func (s *Server) record(q string) {
	s.mu.Lock()
	s.queries = append(s.queries, q)
	s.mu.Unlock()
}

// cqlReader decodes a request body; the first error sticks.
type cqlReader struct {
	b   []byte
	err error
}

func (r *cqlReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = errors.New("truncated frame body")
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *cqlReader) u8() byte {
	if p := r.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (r *cqlReader) u16() uint16 {
	if p := r.take(2); p != nil {
		return binary.BigEndian.Uint16(p)
	}
	return 0
}

func (r *cqlReader) i32() int32 {
	if p := r.take(4); p != nil {
		return int32(binary.BigEndian.Uint32(p))
	}
	return 0
}

func (r *cqlReader) str() string        { return string(r.take(int(r.u16()))) }
func (r *cqlReader) longStr() string    { return string(r.take(int(r.i32()))) }
func (r *cqlReader) shortBytes() []byte { return r.take(int(r.u16())) }

// value reads [value]: -1 is null, -2 is unset.
func (r *cqlReader) value() cqlValue {
	switch n := r.i32(); {
	case n == -1:
		return cqlValue{}
	case n == -2:
		return cqlValue{unset: true}
	default:
		b := r.take(int(n))
		if b == nil {
			b = []byte{}
		}
		return cqlValue{b: b}
	}
}

// Query parameter flags (protocol v4, section 4.1.4).
const (
	qfValues            = 0x01
	qfSkipMetadata      = 0x02
	qfPageSize          = 0x04
	qfPagingState       = 0x08
	qfSerialConsistency = 0x10
	qfDefaultTimestamp  = 0x20
	qfNamedValues       = 0x40
)

// queryParams reads the parameters of QUERY and EXECUTE. Paging is
// accepted but every result comes back in one page.
func (r *cqlReader) queryParams() (vals []cqlValue, skipMeta bool, err error) {
	r.u16() // consistency: one replica holds everything
	flags := r.u8()
	if flags&qfNamedValues != 0 {
		return nil, false, errors.New("stub does not implement named values")
	}
	if flags&qfValues != 0 {
		for n := r.u16(); n > 0 && r.err == nil; n-- {
			vals = append(vals, r.value())
		}
	}
	if flags&qfPageSize != 0 {
		r.i32()
	}
	if flags&qfPagingState != 0 {
		r.value()
	}
	if flags&qfSerialConsistency != 0 {
		r.u16()
	}
	if flags&qfDefaultTimestamp != 0 {
		r.take(8)
	}
	return vals, flags&qfSkipMetadata != 0, r.err
}

// systemAnswer answers the system-table queries gocql makes while
// connecting and awaiting schema agreement: one node, dc1, rack1, one
// schema version. ok is false for any other statement.
func systemAnswer(c net.Conn, q string) (op byte, b buf, ok bool) {
	low := strings.ToLower(q)
	if !strings.Contains(low, "system.local") && !strings.Contains(low, "system.peers") {
		return 0, nil, false
	}
	ip := net.IPv4(127, 0, 0, 1).To4()
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok && a.IP.To4() != nil {
		ip = a.IP.To4()
	}
	hostID := []byte{0x6b, 0x0e, 0x3e, 0x4e, 0x1a, 0x6d, 0x4c, 0x7b, 0x9b, 0x3a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66}
	schema := []byte{0x1f, 0x4e, 0x3e, 0x4e, 0x1a, 0x6d, 0x4c, 0x7b, 0x9b, 0x3a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x77}
	switch {
	case strings.Contains(low, "system.peers_v2"):
		return opError, (&cqlError{code: cqlErrInvalid, msg: "unconfigured table peers_v2"}).encode(), true
	case strings.Contains(low, "select schema_version from system.local"):
		rows(&b, "local", []col{{"schema_version", typUUID}}, [][][]byte{{schema}})
	case strings.Contains(low, "system.local"):
		cols := []col{{"key", typVarchar}, {"cluster_name", typVarchar}, {"data_center", typVarchar},
			{"rack", typVarchar}, {"host_id", typUUID}, {"release_version", typVarchar},
			{"partitioner", typVarchar}, {"cql_version", typVarchar}, {"tokens", typSetVarchar},
			{"rpc_address", typInet}, {"broadcast_address", typInet}, {"listen_address", typInet},
			{"schema_version", typUUID}}
		rows(&b, "local", cols, [][][]byte{{
			[]byte("local"), []byte("mouseauth-stub"), []byte("dc1"), []byte("rack1"), hostID,
			[]byte("3.11.17"), []byte("org.apache.cassandra.dht.Murmur3Partitioner"), []byte("3.4.4"),
			set("0"), ip, ip, ip, schema}})
	case strings.Contains(low, "system.peers"):
		cols := []col{{"peer", typInet}, {"data_center", typVarchar}, {"host_id", typUUID},
			{"rack", typVarchar}, {"release_version", typVarchar}, {"rpc_address", typInet},
			{"schema_version", typUUID}, {"tokens", typSetVarchar}}
		rows(&b, "peers", cols, nil)
	}
	return opResult, b, true
}

type col struct {
	name string
	typ  []byte
}

var (
	typVarchar    = []byte{0x00, 0x0D}
	typUUID       = []byte{0x00, 0x0C}
	typInet       = []byte{0x00, 0x10}
	typSetVarchar = []byte{0x00, 0x22, 0x00, 0x0D}
)

func set(items ...string) []byte {
	var b buf
	b.int(int32(len(items)))
	for _, it := range items {
		b.bytes([]byte(it))
	}
	return b
}

func rows(b *buf, table string, cols []col, data [][][]byte) {
	b.int(0x0002) // Rows
	b.int(0x0001) // global table spec
	b.int(int32(len(cols)))
	b.str("system")
	b.str(table)
	for _, c := range cols {
		b.str(c.name)
		*b = append(*b, c.typ...)
	}
	b.int(int32(len(data)))
	for _, r := range data {
		for _, cell := range r {
			b.bytes(cell)
		}
	}
}

type buf []byte

func (b *buf) int(v int32)    { *b = binary.BigEndian.AppendUint32(*b, uint32(v)) }
func (b *buf) short(v uint16) { *b = binary.BigEndian.AppendUint16(*b, v) }
func (b *buf) str(s string)   { b.short(uint16(len(s))); *b = append(*b, s...) }
func (b *buf) bytes(p []byte) {
	if p == nil {
		b.int(-1)
		return
	}
	b.int(int32(len(p)))
	*b = append(*b, p...)
}

func writeFrame(w io.Writer, version byte, stream []byte, op byte, body []byte) error {
	f := make([]byte, 9, 9+len(body))
	f[0] = 0x80 | version
	copy(f[2:4], stream)
	f[4] = op
	binary.BigEndian.PutUint32(f[5:9], uint32(len(body)))
	f = append(f, body...)
	_, err := w.Write(f)
	return err
}
