package testutil

import (
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// CQLStub is a minimal CQL native protocol v4 server behind TLS. It answers
// OPTIONS, STARTUP, REGISTER and the QUERY frames gocql sends while
// connecting (system.local, system.peers); other queries get a Void result.
// It is hand-written because no Go library serves CQL; it is enough for
// gocql to connect and for TLS tests, not a database.
type CQLStub struct {
	Addr string
	ln   net.Listener
	wg   sync.WaitGroup

	mu         sync.Mutex
	queries    []string
	handshakes []error
}

// StartCQLStub listens on 127.0.0.1 with cfg (nil = plaintext) and stops when
// the test ends.
func StartCQLStub(t testing.TB, cfg *tls.Config) *CQLStub {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &CQLStub{Addr: ln.Addr().String(), ln: ln}
	if cfg != nil {
		s.ln = tls.NewListener(ln, cfg)
	}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.Close)
	return s
}

// Close stops the listener and waits for connections to end.
func (s *CQLStub) Close() {
	s.ln.Close()
	s.wg.Wait()
}

// Queries returns the query strings received so far.
func (s *CQLStub) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

// HandshakeErrors returns the TLS handshake failures seen by the server.
func (s *CQLStub) HandshakeErrors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.handshakes...)
}

func (s *CQLStub) serve() {
	defer s.wg.Done()
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		conns.Add(1)
		go func() {
			defer conns.Done()
			defer c.Close()
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
	opRegister  = 0x0B
)

func (s *CQLStub) handle(c net.Conn) {
	hdr := make([]byte, 9)
	for {
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		if hdr[0]&0x7f != 4 {
			// Answer with a protocol error in the client's version so it downgrades or stops.
			var b buf
			b.int(0x000A)
			b.str("stub speaks only protocol v4")
			_ = writeFrame(c, hdr[0]&0x7f, hdr[2:4], opError, b)
			return
		}
		n := binary.BigEndian.Uint32(hdr[5:9])
		if n > 1<<20 {
			return
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		stream := hdr[2:4]
		var b buf
		op := byte(opResult)
		switch hdr[4] {
		case opOptions:
			op = opSupported
			b.short(2)
			b.str("CQL_VERSION")
			b.short(1)
			b.str("3.4.4")
			b.str("COMPRESSION")
			b.short(0)
		case opStartup, opRegister:
			op = opReady
		case opQuery:
			q := ""
			if len(body) >= 4 {
				l := int(binary.BigEndian.Uint32(body))
				if l >= 0 && 4+l <= len(body) {
					q = string(body[4 : 4+l])
				}
			}
			s.mu.Lock()
			s.queries = append(s.queries, q)
			s.mu.Unlock()
			b = s.answer(c, q)
			if len(b) > 4 && binary.BigEndian.Uint32(b) == 0x2200 {
				op = opError
			}
		default:
			op = opError
			b.int(0x000A)
			b.str("stub does not implement this opcode")
		}
		if err := writeFrame(c, 4, stream, op, b); err != nil {
			return
		}
	}
}

func (s *CQLStub) answer(c net.Conn, q string) buf {
	var b buf
	low := strings.ToLower(q)
	ip := net.IPv4(127, 0, 0, 1).To4()
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok && a.IP.To4() != nil {
		ip = a.IP.To4()
	}
	hostID := []byte{0x6b, 0x0e, 0x3e, 0x4e, 0x1a, 0x6d, 0x4c, 0x7b, 0x9b, 0x3a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66}
	schema := []byte{0x1f, 0x4e, 0x3e, 0x4e, 0x1a, 0x6d, 0x4c, 0x7b, 0x9b, 0x3a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x77}
	switch {
	case strings.Contains(low, "system.peers_v2"):
		b.int(0x2200)
		b.str("unconfigured table peers_v2")
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
	default:
		b.int(0x0001) // Void
	}
	return b
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
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return err
}
