package topics_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mouseauth/mouseauth/internal/testpki"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/pki"
)

// The producer and the readers' dialer speak mutual TLS: a recording of the
// wire shows no secret, and a flipped bit ends the connection. (The TLS
// rejection matrix of the Kafka probe is in package pki with the others.)

func startBroker(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(1, topics.Logins)}
	if cfg != nil {
		opts = append(opts, kfake.TLS(cfg))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// login is what the replaying client sends; its values are distinctive so a
// byte search of the wire finds them if they leak.
type login struct {
	User     string    `json:"user"`
	Password string    `json:"password"`
	Features []float64 `json:"features"`
}

var secret = login{User: "zebra-quokka-7731", Password: "Pw!correct-horse-93", Features: []float64{987654.321, 0.0424242}}

// proxy forwards TCP to target, records every byte in both directions and,
// when armed, flips one byte in the next client-to-server TLS record.
type proxy struct {
	ln     net.Listener
	target string
	tls    bool // parse client->server traffic as TLS records

	mu        sync.Mutex
	rec       bytes.Buffer
	armed     bool
	flipped   bool
	serverEOF chan struct{} // closed when the server closes a tampered connection
	conns     []net.Conn
}

func startProxy(t *testing.T, target string, parseTLS bool) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, tls: parseTLS, serverEOF: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns = append(p.conns, c)
			p.mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); p.pipe(c) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close() // the writer's transport keeps idle connections open
		}
		p.mu.Unlock()
		wg.Wait()
	})
	return p
}

func (p *proxy) record(b []byte) {
	p.mu.Lock()
	p.rec.Write(b)
	p.mu.Unlock()
}

func (p *proxy) recording() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.rec.Bytes())
}

func (p *proxy) arm() { p.mu.Lock(); p.armed = true; p.mu.Unlock() }

func (p *proxy) pipe(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	tampered := make(chan bool, 1)
	done := make(chan struct{})
	go func() { // server -> client
		defer close(done)
		buf := make([]byte, 32<<10)
		for {
			n, err := s.Read(buf)
			if n > 0 {
				p.record(buf[:n])
				if _, werr := c.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				select {
				case <-tampered:
					close(p.serverEOF)
				default:
				}
				c.Close()
				return
			}
		}
	}()
	hdr := make([]byte, 5)
	for { // client -> server, record by record
		var msg []byte
		if p.tls {
			if _, err := io.ReadFull(c, hdr); err != nil {
				break
			}
			body := make([]byte, binary.BigEndian.Uint16(hdr[3:5]))
			if _, err := io.ReadFull(c, body); err != nil {
				break
			}
			p.mu.Lock()
			if p.armed && !p.flipped && hdr[0] == 23 && len(body) > 32 {
				body[len(body)/2] ^= 0x01
				p.flipped = true
				tampered <- true
			}
			p.mu.Unlock()
			msg = append(bytes.Clone(hdr), body...)
		} else {
			buf := make([]byte, 32<<10)
			n, err := c.Read(buf)
			if err != nil {
				break
			}
			msg = buf[:n]
		}
		p.record(msg)
		if _, err := s.Write(msg); err != nil {
			break
		}
	}
	s.Close()
	<-done
}

// viaProxy returns a transport that dials the proxy whatever address the
// broker advertises, so every connection of the writer crosses it.
func viaProxy(cfg *tls.Config, p *proxy) *kafka.Transport {
	tr := topics.Transport(cfg, nil)
	if cfg == nil {
		tr.TLS = nil
	}
	tr.MetadataTTL = time.Hour
	addr := p.ln.Addr().String()
	tr.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return tr
}

func produce(ctx context.Context, tr *kafka.Transport, broker string, l login, attempts int) error {
	w := &kafka.Writer{Addr: kafka.TCP(broker), Topic: topics.Logins, Transport: tr, BatchTimeout: 5 * time.Millisecond,
		MaxAttempts: attempts, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	b, _ := json.Marshal(l)
	return w.WriteMessages(ctx, kafka.Message{Key: []byte(l.User), Value: b})
}

// consumeAll reads the logins topic from the start until idle for a second.
func consumeAll(t *testing.T, cfg *tls.Config, broker string) []login {
	t.Helper()
	d := topics.Dialer(cfg, nil)
	if cfg == nil {
		d.TLS = nil
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: topics.Logins, Partition: 0, Dialer: d, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	var out []login
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		m, err := r.ReadMessage(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return out
		}
		if err != nil {
			t.Fatalf("consume: %v (%s)", err, pki.Explain(err))
		}
		var l login
		if err := json.Unmarshal(m.Value, &l); err != nil {
			t.Fatalf("consumed a record that is not the JSON sent: %q: %v", m.Value, err)
		}
		out = append(out, l)
	}
}

func leaks(rec []byte) []string {
	var found []string
	for _, s := range []string{secret.User, secret.Password, "987654.321", "0.0424242"} {
		if bytes.Contains(rec, []byte(s)) {
			found = append(found, s)
		}
	}
	return found
}

func TestSniffingSeesNoSecrets(t *testing.T) {
	t.Parallel()
	tp := testpki.New(t)
	ctx := context.Background()

	t.Run("control: plaintext leaks", func(t *testing.T) {
		// Without TLS the same recording shows the secrets, so the check below can fail.
		broker := startBroker(t, nil)
		p := startProxy(t, broker, false)
		if err := produce(ctx, viaProxy(nil, p), broker, secret, 3); err != nil {
			t.Fatal(err)
		}
		if got := leaks(p.recording()); len(got) != 4 {
			t.Fatalf("plaintext recording shows %v, want all 4 secrets", got)
		}
	})

	t.Run("TLS", func(t *testing.T) {
		broker := startBroker(t, tp.Server(t))
		p := startProxy(t, broker, true)
		if err := produce(ctx, viaProxy(tp.Client(t, "replay"), p), broker, secret, 3); err != nil {
			t.Fatalf("produce: %v (%s)", err, pki.Explain(err))
		}
		rec := p.recording()
		if len(rec) < 1000 {
			t.Fatalf("recorded only %d bytes: the writer did not cross the proxy", len(rec))
		}
		if got := leaks(rec); len(got) > 0 {
			t.Fatalf("recording of %d bytes contains %v", len(rec), got)
		}
		got := consumeAll(t, tp.Client(t, "scorer"), broker)
		if len(got) != 1 || got[0].User != secret.User || got[0].Password != secret.Password || got[0].Features[0] != secret.Features[0] {
			t.Fatalf("consumer received %+v, want the one login sent", got)
		}
		t.Logf("recorded %d bytes, none of the secrets; consumer received %+v", len(rec), got[0])
	})
}

func TestTamperingIsDetected(t *testing.T) {
	t.Parallel()
	tp := testpki.New(t)
	ctx := context.Background()
	broker := startBroker(t, tp.Server(t))
	p := startProxy(t, broker, true)
	tr := viaProxy(tp.Client(t, "replay"), p)
	first := login{User: "first-user", Password: "first-pass", Features: []float64{1}}
	if err := produce(ctx, tr, broker, first, 1); err != nil {
		t.Fatalf("untampered produce: %v (%s)", err, pki.Explain(err))
	}
	p.arm() // the next client record, after the handshake, gets one bit flipped
	second := login{User: "second-user", Password: "second-pass", Features: []float64{2}}
	err := produce(ctx, tr, broker, second, 1)
	if err == nil {
		t.Fatal("produce over a tampered connection succeeded")
	}
	t.Logf("tampered produce failed: %v -> %s", err, pki.Explain(err))
	p.mu.Lock()
	flipped := p.flipped
	p.mu.Unlock()
	if !flipped {
		t.Fatal("the proxy never flipped a byte")
	}
	select {
	case <-p.serverEOF:
	case <-time.After(5 * time.Second):
		t.Fatal("the broker kept the tampered connection open")
	}
	got := consumeAll(t, tp.Client(t, "scorer"), broker)
	if len(got) != 1 || got[0].User != first.User {
		t.Fatalf("consumer received %+v, want only the untampered first login", got)
	}
}
