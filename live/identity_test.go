package live_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/pki"
	"github.com/mouseauth/mouseauth/replay"
)

// The attack suite of issue 19 on client identities. Before it, every
// workstation used the one shared replay identity: whoever held a client
// machine's files could log in and send vectors as any user, and read
// every user's decisions. Now each workstation has its own identity, bound
// to its users; the attacker here holds workstation ws1's files (its
// certificate, key and SASL password), bound to the first user, and the
// password of the second user, whose workstation is ws2.

// workstation is a registered client identity as its bundle holds it.
type workstation struct {
	name string
	tls  *tls.Config
	sasl sasl.Mechanism
	id   *wire.ClientSigner
}

// register makes the client identity name bound to users in e's state
// folder and waits until the running broker admits it.
func register(t *testing.T, e *env, name string, users ...string) workstation {
	t.Helper()
	r, err := cluster.RegisterClient(e.cl.Dir, name, users, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(r.CA)
	if blk == nil {
		t.Fatal("the registration's CA is not PEM")
	}
	ca, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{r.Issued.Cert.Raw}, PrivateKey: r.Issued.Key, Leaf: r.Issued.Cert}
	cfg, err := pki.ClientTLS(pki.Config{CA: ca, Certificate: cert})
	if err != nil {
		t.Fatal(err)
	}
	m, err := topics.SASL(cluster.Mechanism, name, r.Password)
	if err != nil {
		t.Fatal(err)
	}
	id, err := wire.NewClientSigner(cert)
	if err != nil {
		t.Fatal(err)
	}
	w := workstation{name: name, tls: cfg, sasl: m, id: id}
	tr := topics.Transport(cfg, m)
	defer tr.CloseIdleConnections()
	c := &kafka.Client{Addr: kafka.TCP(e.cl.Brokers...), Transport: tr, Timeout: 5 * time.Second}
	own := topics.Default().DecisionsFor(name)
	testutil.Eventually(t, 60*time.Second, func() bool {
		md, err := c.Metadata(context.Background(), &kafka.MetadataRequest{Topics: []string{own}})
		return err == nil && len(md.Topics) == 1 && md.Topics[0].Error == nil
	}, "the running broker admits "+name)
	return w
}

// TestAttackClientIdentities: an attacker with one workstation's files and
// another user's password cannot log in as that user, cannot read another
// workstation's decisions or the shared ones, and a login that names no
// identity, or a foreign CA's identity, is dead-lettered; the honest
// workstations are served meanwhile, each on its own decision topic.
func TestAttackClientIdentities(t *testing.T) {
	t.Parallel()
	e, logs := startWorkerAttackEnv(t, live.Config{})
	ss := plan(t, e, synthUsers(t, 2, 2, 12), 0) // User1, User2: one session each
	e.startService()
	var s1, s2 replay.Session
	for _, s := range ss {
		switch s.LoginAs {
		case "User1":
			s1 = s
		case "User2":
			s2 = s
		}
	}
	ws1 := register(t, e, "ws1", "User1")
	ws2 := register(t, e, "ws2", "User2")
	run := func(w workstation, s replay.Session) replay.Result {
		t.Helper()
		s.ID = replay.NewSessionID()
		res, err := replay.Run(context.Background(), replay.Config{Brokers: e.cl.Brokers, TLS: w.tls, SASL: w.sasl, ScorerKey: e.cfg.Keys.Public(),
			Interval: -1, Wait: 60 * time.Second}, []replay.Session{s})
		if err != nil {
			t.Fatalf("replay as %s: %v", w.name, err)
		}
		return res
	}

	t.Run("honest workstations", func(t *testing.T) {
		for _, c := range []struct {
			w workstation
			s replay.Session
		}{{ws1, s1}, {ws2, s2}} {
			res := run(c.w, c.s)
			if res.Refused != 0 || res.Decided != res.Sent || res.Sent == 0 {
				t.Fatalf("%s as %s: refused %d, sent %d, decided %d", c.w.name, c.s.LoginAs, res.Refused, res.Sent, res.Decided)
			}
			t.Logf("%s logged in as %s and got %d decisions on %s", c.w.name, c.s.LoginAs, res.Decided, topics.Default().DecisionsFor(c.w.name))
		}
	})

	t.Run("log in as a user of another workstation", func(t *testing.T) {
		// Attack: ws1's identity, User2's right password. Expected: the
		// login is refused before the password is checked (no failure
		// counted against User2), no session opened, the refusal logged.
		before, err := e.creds.Credential(context.Background(), "User2")
		if err != nil {
			t.Fatal(err)
		}
		res := run(ws1, s2)
		if res.Refused != 1 || res.Sessions[0].LoginAccepted || res.Sent != 0 {
			t.Fatalf("ws1 as User2: %+v", res.Sessions[0])
		}
		after, err := e.creds.Credential(context.Background(), "User2")
		if err != nil {
			t.Fatal(err)
		}
		if after.Failures != before.Failures || !after.LastFailure.Equal(before.LastFailure) {
			t.Errorf("the refusal counted against User2: failures %d -> %d", before.Failures, after.Failures)
		}
		if _, err := e.st.Session(context.Background(), "User2", res.Sessions[0].ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a session was stored for the refused login: %v", err)
		}
		if l := logs.lines(`result="client not bound to user"`, "user=User2", "client=ws1"); len(l) == 0 {
			t.Errorf("the refusal was not logged:\n%s", logs)
		} else {
			t.Logf("refused; logged: %s", l[0])
		}
	})

	t.Run("read other decisions", func(t *testing.T) {
		// Attack: ws1 reads ws2's decision topic and the shared one.
		// Expected: refused by the broker.
		for _, topic := range []string{topics.Default().DecisionsFor("ws2"), topics.Decisions} {
			tr := topics.Transport(ws1.tls, ws1.sasl)
			c := &kafka.Client{Addr: kafka.TCP(e.cl.Brokers...), Transport: tr, Timeout: 10 * time.Second}
			res, err := c.Fetch(context.Background(), &kafka.FetchRequest{Topic: topic, Offset: 0, MaxBytes: 1 << 20})
			if err == nil {
				err = res.Error
			}
			tr.CloseIdleConnections()
			if err == nil || !(errors.Is(err, kafka.TopicAuthorizationFailed) || strings.Contains(err.Error(), "topic not found")) {
				t.Errorf("ws1 reads %s: %v", topic, err)
			} else {
				t.Logf("ws1 reads %s: refused (%v)", topic, err)
			}
		}
	})

	t.Run("unsigned and foreign logins", func(t *testing.T) {
		// Attack: a version 2 login (no identity) and a login signed by a
		// certificate of another CA bound to User2, both with User2's
		// password, written with ws1's credentials. Expected: both
		// dead-lettered, no decision.
		foreign, err := pki.NewCA(pki.CAOptions{Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		is, err := foreign.Issue(pki.IssueRequest{Name: "ws2", Role: pki.RoleClient, Now: time.Now(), Binding: &pki.Binding{Users: []string{"User2"}}})
		if err != nil {
			t.Fatal(err)
		}
		fake, err := wire.NewClientSigner(tls.Certificate{Certificate: [][]byte{is.Cert.Raw}, PrivateKey: is.Key})
		if err != nil {
			t.Fatal(err)
		}
		v2, _, err := wire.SealLoginV2(e.cfg.Keys.Public(), wire.Login{User: "User2", Session: "unsigned", Password: s2.Password, Sent: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		v3, _, err := wire.SealLogin(e.cfg.Keys.Public(), wire.Login{User: "User2", Session: "foreign", Password: s2.Password, Sent: time.Now()}, fake)
		if err != nil {
			t.Fatal(err)
		}
		w := topics.NewWriter(e.cl.Brokers, ws1.tls, ws1.sasl)
		defer w.Close()
		if err := w.WriteMessages(context.Background(), kafka.Message{Topic: topics.Logins, Key: []byte("User2"), Value: v2},
			kafka.Message{Topic: topics.Logins, Key: []byte("User2"), Value: v3}); err != nil {
			t.Fatal(err)
		}
		dead := e.readTopic(topics.DeadLetter, 2)
		classes := map[string]bool{}
		for _, m := range dead {
			x, err := wire.ParseDeadLetter(m.Value)
			if err != nil {
				t.Fatal(err)
			}
			classes[x.Class] = true
			if len(x.Value) != 0 {
				t.Errorf("a login's dead letter keeps its bytes")
			}
			t.Logf("dead letter: %s: %s", x.Class, x.Reason)
		}
		if !classes["unsigned"] || !classes["bad identity"] {
			t.Errorf("dead letter classes %v, want unsigned and bad identity", classes)
		}
		for _, sess := range []string{"unsigned", "foreign"} {
			if _, err := e.st.Session(context.Background(), "User2", sess); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("session %s stored: %v", sess, err)
			}
		}
	})
}
