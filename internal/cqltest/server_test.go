package cqltest

import (
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/mouseauth/mouseauth/internal/testpki"
)

// cluster is a gocql cluster for s with one connection and short timeouts.
func cluster(t *testing.T, s *Server) *gocql.ClusterConfig {
	t.Helper()
	host, port, _ := strings.Cut(s.Addr, ":")
	cl := gocql.NewCluster(host)
	cl.Port = atoi(t, port)
	cl.ProtoVersion = 4
	cl.Timeout = 2 * time.Second
	cl.NumConns = 1
	return cl
}

func TestServerServesGocql(t *testing.T) {
	t.Parallel()
	s := Start(t, nil)
	sess, err := cluster(t, s).CreateSession()
	if err != nil {
		t.Fatalf("gocql could not connect to the stub: %v", err)
	}
	sess.Close()
	var local bool
	for _, q := range s.Queries() {
		local = local || strings.Contains(q, "system.local")
	}
	if !local {
		t.Fatalf("gocql connected without asking system.local: %q", s.Queries())
	}
}

// TestServerTLS drives the TLS entry point: gocql with a client
// certificate of the server's CA connects and runs a statement; a client
// without a certificate is refused in the handshake, which the server
// records.
func TestServerTLS(t *testing.T) {
	t.Parallel()
	p := testpki.New(t)
	s := Start(t, p.Server(t))

	cl := cluster(t, s)
	cl.SslOpts = &gocql.SslOptions{Config: p.Client(t, "scorer"), EnableHostVerification: true}
	sess, err := cl.CreateSession()
	if err != nil {
		t.Fatalf("gocql over mutual TLS: %v", err)
	}
	err = sess.Query(`CREATE KEYSPACE tk WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`).Exec()
	sess.Close()
	if err != nil {
		t.Fatalf("CREATE KEYSPACE over TLS: %v", err)
	}
	if r, ok := s.Replication("tk"); !ok || r["replication_factor"] != "1" {
		t.Fatalf("replication of tk = %v, %v; want replication_factor 1", r, ok)
	}
	if n := len(s.HandshakeErrors()); n != 0 {
		t.Fatalf("%d handshake errors after a good client: %v", n, s.HandshakeErrors())
	}

	noCert := p.Client(t, "scorer").Clone()
	noCert.Certificates, noCert.GetClientCertificate = nil, nil
	c, err := tls.Dial("tcp", s.Addr, noCert)
	if err == nil {
		// TLS 1.3: the server's refusal arrives on the first read.
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, err = c.Write(frame(4, opOptions, nil))
		if err == nil {
			_, err = c.Read(make([]byte, 1))
		}
		c.Close()
	}
	if err == nil {
		t.Fatal("a client without a certificate was served")
	}
	s.Close() // waits for the handlers, so the refusal is recorded
	if n := len(s.HandshakeErrors()); n != 1 {
		t.Fatalf("%d handshake errors recorded, want 1: %v", n, s.HandshakeErrors())
	}
}

// TestServerFrames speaks the wire protocol directly: OPTIONS is answered
// with SUPPORTED, a frame of another protocol version with a protocol
// error in that version, and a compressed frame with an error.
func TestServerFrames(t *testing.T) {
	t.Parallel()
	s := Start(t, nil)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		t.Cleanup(func() { c.Close() })
		return c
	}

	c := dial()
	if _, err := c.Write(frame(4, opOptions, nil)); err != nil {
		t.Fatal(err)
	}
	ver, op, body := readFrame(t, c)
	if ver != 0x84 || op != opSupported || !strings.Contains(string(body), "CQL_VERSION") {
		t.Fatalf("OPTIONS: version 0x%02x opcode 0x%02x body %q; want 0x84 SUPPORTED with CQL_VERSION", ver, op, body)
	}
	f := frame(4, opStartup, nil)
	f[1] = flagCompression
	if _, err := c.Write(f); err != nil {
		t.Fatal(err)
	}
	if _, op, body = readFrame(t, c); op != opError || !strings.Contains(string(body), "compression") {
		t.Fatalf("compressed frame: opcode 0x%02x body %q; want an ERROR naming compression", op, body)
	}

	c = dial()
	if _, err := c.Write(frame(5, opOptions, nil)); err != nil {
		t.Fatal(err)
	}
	ver, op, body = readFrame(t, c)
	if ver != 0x85 || op != opError || int32(binary.BigEndian.Uint32(body)) != cqlErrProtocol {
		t.Fatalf("v5 frame: version 0x%02x opcode 0x%02x body %q; want a v5 protocol ERROR", ver, op, body)
	}
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("after refusing v5 the connection stays open (read: %v)", err)
	}
}

// frame is a request frame on stream 1.
func frame(version, op byte, body []byte) []byte {
	f := []byte{version, 0, 0, 1, op, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(f[5:], uint32(len(body)))
	return append(f, body...)
}

func readFrame(t *testing.T, c net.Conn) (version, op byte, body []byte) {
	t.Helper()
	hdr := make([]byte, 9)
	if _, err := io.ReadFull(c, hdr); err != nil {
		t.Fatalf("reading a response header: %v", err)
	}
	body = make([]byte, binary.BigEndian.Uint32(hdr[5:]))
	if _, err := io.ReadFull(c, body); err != nil {
		t.Fatalf("reading a response body: %v", err)
	}
	return hdr[0], hdr[4], body
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("port %q: %v", s, err)
	}
	return n
}
