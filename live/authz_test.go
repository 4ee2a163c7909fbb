package live_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/deploy"
	"github.com/mouseauth/mouseauth/live/store/embedded"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/pki"
	"github.com/mouseauth/mouseauth/replay"
)

// The attack suite of issue 11 on authorization: an attacker holds the
// replay client's certificate and key and replay's SASL password (the
// credentials any client machine has) and uses kcat (librdkafka), an
// independent Kafka client, against the embedded broker with a scoring
// service running. Before the broker enforced ACLs (it authenticated only
// "a certificate of our CA"), kcat with the replay certificate read every
// password on mouseauth.logins, joined the scorer's group and took its
// partitions, and produced forged decisions, alerts and dead letters.
// Each case says the attack, the refusal expected and what the broker and
// the service logged; the honest traffic sent meanwhile is sent = stored =
// decided.

// logBuffer is a log destination shared by the broker's and the service's
// goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// since returns what was logged after mark, and the new mark.
func (l *logBuffer) since(mark int) (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()[mark:], l.b.Len()
}

// attackEnv is an embedded pipeline whose broker and service log to logs.
type attackEnv struct {
	*env
	logs   *logBuffer
	mark   int
	kcat   string
	tmp    string
	honest []replay.Session
}

func startAttackEnv(t *testing.T) *attackEnv {
	t.Helper()
	kcatPath, err := exec.LookPath("kcat")
	if err != nil {
		testutil.SkipOrFail(t, "kcat (Debian package kcat) is not installed: the attack suite plays the attacker with it")
	}
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx := context.Background()
	cl, err := cluster.Start(ctx, cluster.Options{Dir: t.TempDir(), Partitions: 4, Logger: logger.With("component", "broker")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	st, err := embedded.Open(ctx, cl.StorePath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := deploy.LoadKeys(cl.Dir)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, cl: cl, st: st, creds: st}
	e.cfg = live.Config{Brokers: cl.Brokers, TLS: cl.ScorerTLS, SASL: cl.ScorerSASL, Profiles: st, Credentials: st, Keys: keys,
		SessionTimeout: 2 * time.Second, Retrain: live.RetrainPolicy{Every: -1}, Logger: logger.With("component", "service")}
	a := &attackEnv{env: e, logs: logs, kcat: kcatPath, tmp: t.TempDir()}
	a.honest = plan(t, e, synthUsers(t, 3, 2, 25), 0) // one session per user
	e.startService()
	return a
}

// identity is what an attacker presents: a client certificate (none when
// cert is empty) and SASL credentials (none when user is empty).
type identity struct {
	cert, key      string
	user, password string
	ca             string // default: the embedded CA
}

func (a *attackEnv) pkiFile(elem ...string) string {
	return filepath.Join(append([]string{a.cl.PKIDir}, elem...)...)
}

func (a *attackEnv) password(user string) string {
	b, err := os.ReadFile(cluster.PasswordPath(a.cl.Dir, user))
	if err != nil {
		a.t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// as returns the identity of one of the embedded users, with the replay
// client's certificate (the attacker's) unless cert names another.
func (a *attackEnv) as(user, password, cert string) identity {
	if cert == "" {
		cert = cluster.CertReplay
	}
	crt, key := pki.CertPaths(a.cl.PKIDir, cert)
	return identity{cert: crt, key: key, user: user, password: password}
}

// run runs kcat as id with args, for at most d, and returns its stdout,
// stderr and exit error. The SASL password goes in a 0600 properties file
// (-F), not in kcat's argv.
func (a *attackEnv) run(id identity, d time.Duration, args ...string) (stdout, stderr string, err error) {
	a.t.Helper()
	return a.runIn(id, d, "", args...)
}

// runIn is run with stdin as kcat's input (kcat -P).
func (a *attackEnv) runIn(id identity, d time.Duration, stdin string, args ...string) (stdout, stderr string, err error) {
	a.t.Helper()
	ca := id.ca
	if ca == "" {
		ca = a.pkiFile(pki.CACertFile)
	}
	props := []string{"ssl.ca.location=" + ca, "security.protocol=SSL"}
	if id.cert != "" {
		props = append(props, "ssl.certificate.location="+id.cert, "ssl.key.location="+id.key)
	}
	if id.user != "" {
		props[1] = "security.protocol=SASL_SSL"
		props = append(props, "sasl.mechanisms="+cluster.Mechanism, "sasl.username="+id.user, "sasl.password="+id.password)
	}
	f, err := os.CreateTemp(a.tmp, "kcat-*.properties")
	if err != nil {
		a.t.Fatal(err)
	}
	f.WriteString(strings.Join(props, "\n") + "\n")
	f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.kcat, append([]string{"-F", f.Name(), "-b", a.cl.Brokers[0]}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// logged returns what the broker and the service logged since the last
// call, for the test's log.
func (a *attackEnv) logged() string {
	s, mark := a.logs.since(a.mark)
	a.mark = mark
	if strings.TrimSpace(s) == "" {
		return "(nothing)"
	}
	return strings.TrimSpace(s)
}

// count reads topic from the start as a role that may (the scorer reads
// the logins, the operator the decisions, alerts and dead letters) and
// counts its messages, and those containing marker.
func (a *attackEnv) count(topic, marker string) (all, marked int) {
	a.t.Helper()
	user := cluster.UserOperator
	if topic == topics.Logins || topic == topics.Features {
		user = cluster.UserScorer
	}
	out, errOut, err := a.run(a.as(user, a.password(user), user), 60*time.Second,
		"-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n")
	if err != nil {
		a.t.Fatalf("%s reads %s: %v\n%s", user, topic, err, errOut)
	}
	for _, line := range strings.Split(out, "\n") {
		if line != "" {
			all++
			if marker != "" && strings.Contains(line, marker) {
				marked++
			}
		}
	}
	return all, marked
}

// honestReplay replays sessions as replay and checks sent = stored =
// decided.
func (a *attackEnv) honestReplay(ss []replay.Session) replay.Result {
	a.t.Helper()
	res := a.replay(ss, replay.Config{})
	a.checkExactlyOnce(ss, res)
	if res.Sent == 0 {
		a.t.Fatal("no honest vector was sent")
	}
	return res
}

func want(t *testing.T, what, text string, needles ...string) {
	t.Helper()
	for _, n := range needles {
		if !strings.Contains(text, n) {
			t.Errorf("%s lacks %q:\n%s", what, n, text)
		}
	}
}

func TestAttackSuiteAuthorization(t *testing.T) {
	t.Parallel()
	a := startAttackEnv(t)
	replayPW := a.password(cluster.UserReplay)
	attacker := a.as(cluster.UserReplay, replayPW, "")
	first := a.honestReplay(a.honest[:1]) // logins on mouseauth.logins to steal
	t.Logf("honest traffic before the attacks: sent %d, decided %d", first.Sent, first.Decided)
	logins, _ := a.count(topics.Logins, "")
	if logins == 0 {
		t.Fatal("no login on mouseauth.logins: the read attack would prove nothing")
	}
	a.logged()

	t.Run("a: read mouseauth.logins", func(t *testing.T) {
		// Attack: kcat -C -t mouseauth.logins with replay's certificate and
		// SASL user. Expected: every partition's fetch refused with
		// TOPIC_AUTHORIZATION_FAILED (replay holds Write, not Read, on
		// logins), no login delivered.
		out, errOut, err := a.run(attacker, 30*time.Second, "-C", "-t", topics.Logins, "-o", "beginning")
		want(t, "kcat's stderr", errOut, "Topic authorization failed")
		if err == nil || out != "" {
			t.Errorf("kcat read %d bytes of logins (exit %v)", len(out), err)
		}
		for _, s := range a.honest[:1] {
			if strings.Contains(out, s.Password) {
				t.Errorf("a password of %s was read", s.LoginAs)
			}
		}
		t.Logf("refused: %s; %d logins on the topic, 0 read; logged: %s", firstLine(errOut, "ERROR"), logins, a.logged())
	})

	t.Run("c: forge a decision, an alert, a dead letter", func(t *testing.T) {
		// Attack: kcat -P a forged record to each topic only the scorer
		// writes. Expected: TOPIC_AUTHORIZATION_FAILED, nothing appended.
		for _, topic := range []string{topics.Decisions, topics.Alerts, topics.DeadLetter} {
			before, _ := a.count(topic, "")
			forged := fmt.Sprintf(`{"user":%q,"session":"forged","accept":true,"note":"forged-%d"}`, a.honest[0].LoginAs, time.Now().UnixNano())
			out, errOut, err := a.runIn(attacker, 30*time.Second, forged+"\n", "-P", "-t", topic, "-k", a.honest[0].LoginAs)
			want(t, "kcat's stderr for "+topic, errOut, "Topic authorization failed")
			if err == nil {
				t.Errorf("%s: kcat exited 0 (%s)", topic, out)
			}
			after, marked := a.count(topic, "forged-")
			if marked != 0 || after != before {
				t.Errorf("%s: %d forged records, %d -> %d records", topic, marked, before, after)
			}
			t.Logf("%s: refused (%s); %d records before and after", topic, firstLine(errOut, "Delivery failed"), after)
		}
		t.Logf("logged: %s", a.logged())
	})

	t.Run("d: no SASL, wrong password, unknown user", func(t *testing.T) {
		// Attack: the replay certificate without SASL (plain SSL), with a
		// wrong password, and as a user the broker does not have.
		// Expected: the connection is closed at authentication, no
		// metadata; the broker logs each refusal.
		for _, tc := range []struct {
			name string
			id   identity
			want string
		}{
			{"no SASL", a.as("", "", ""), "Disconnected"},
			{"wrong password", a.as(cluster.UserReplay, replayPW+"x", ""), "SASL authentication error"},
			{"unknown user", a.as("mallory", replayPW, ""), "SASL authentication error"},
		} {
			out, errOut, err := a.run(tc.id, 30*time.Second, "-L", "-m", "2")
			if err == nil || strings.Contains(out, topics.Logins) {
				t.Errorf("%s: metadata listed (exit %v):\n%s", tc.name, err, out)
			}
			want(t, tc.name+": kcat's stderr", errOut, tc.want)
			logged := a.logged()
			want(t, tc.name+": broker log", logged, "kafka broker: refused")
			t.Logf("%s: refused (%s); broker logged: %s", tc.name, firstLine(errOut, tc.want), firstLine(logged, "refused"))
		}
	})

	t.Run("e: the scorer's password with the replay certificate", func(t *testing.T) {
		// Not an attack the broker can stop: on SASL_SSL the principal is
		// the SASL user (User:scorer); the certificate only proves
		// membership of our CA, as on a real Kafka cluster. Whoever holds
		// the scorer's password is the scorer; the password file is 0600
		// on the scorer's host. Documented, and checked so a change shows.
		out, errOut, err := a.run(a.as(cluster.UserScorer, a.password(cluster.UserScorer), cluster.CertReplay), 60*time.Second,
			"-C", "-t", topics.Logins, "-o", "beginning", "-e", "-q", "-f", "%s\n")
		if err != nil || strings.Count(out, "\n") != logins {
			t.Fatalf("with the scorer's SASL password: exit %v, %d of %d logins read\n%s", err, strings.Count(out, "\n"), logins, errOut)
		}
		t.Logf("read all %d logins as User:scorer with the replay certificate (acceptable: the SASL user is the principal); logged: %s", logins, a.logged())
	})

	t.Run("b: join the scorer's consumer group", func(t *testing.T) {
		// Attack: kcat -G mouseauth-live on logins and features while honest
		// logins and vectors are sent. Expected: FindCoordinator refused
		// with GROUP_AUTHORIZATION_FAILED (replay holds no group grant),
		// the group keeps its one member (the scorer), and every honest
		// vector sent meanwhile is decided. Before: kcat joined, took
		// partitions, and logins sent meanwhile got no decision.
		var wg sync.WaitGroup
		var errOut string
		var kerr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errOut, kerr = a.run(attacker, 60*time.Second, "-G", topics.DefaultGroup, topics.Logins, topics.Features)
		}()
		res := a.honestReplay(a.honest[1:])
		wg.Wait()
		want(t, "kcat's stderr", errOut, "Group authorization failed")
		if kerr == nil {
			t.Error("kcat -G exited 0")
		}
		members := a.groupMembers(topics.DefaultGroup)
		if len(members) != 1 || strings.Contains(members[0], "rdkafka") {
			t.Errorf("the scorer's group has members %v, want the scorer alone", members)
		}
		t.Logf("refused (%s); group members %v; honest traffic meanwhile: sent %d, decided %d; logged: %s",
			firstLine(errOut, "ERROR"), members, res.Sent, res.Decided, a.logged())
	})
}

// groupMembers describes group as the broker's own principal and returns
// "clientID@host" per member.
func (a *attackEnv) groupMembers(group string) []string {
	a.t.Helper()
	tr := topics.Transport(a.cl.Superuser())
	defer tr.CloseIdleConnections()
	c := &kafka.Client{Addr: kafka.TCP(a.cl.Brokers...), Transport: tr, Timeout: 10 * time.Second}
	res, err := c.DescribeGroups(context.Background(), &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil || len(res.Groups) != 1 || res.Groups[0].Error != nil {
		a.t.Fatalf("describe group %s: %v %+v", group, err, res)
	}
	var out []string
	for _, m := range res.Groups[0].Members {
		out = append(out, m.ClientID+"@"+m.ClientHost)
	}
	return out
}

// firstLine returns the first line of s containing sub (or s's first line).
func firstLine(s, sub string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return strings.TrimSpace(l)
		}
	}
	return strings.TrimSpace(lines[0])
}

// TestAttackSuitePKI is the PKI rejection matrix against the embedded
// broker, with replay's valid SASL credentials in every case, so only the
// TLS layer can refuse: a certificate from a foreign CA, an expired
// certificate of our CA, no client certificate (kcat), and TLS 1.1 (Go's
// client; librdkafka has no setting for an old maximum version). A
// positive control connects with the real replay identity.
func TestAttackSuitePKI(t *testing.T) {
	t.Parallel()
	a := startAttackEnv(t)
	replayPW := a.password(cluster.UserReplay)
	now := time.Now()

	foreign, err := pki.NewCA(pki.CAOptions{Subject: pki.Subject{CommonName: "foreign CA"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	fdir := t.TempDir()
	issue := func(ca *pki.CA, dir string, at time.Time, validity time.Duration) identity {
		is, err := ca.Issue(pki.IssueRequest{Name: "replay", Subject: pki.Subject{CommonName: "replay", OrganizationalUnit: "live", Organization: "mouseauth"},
			Role: pki.RoleClient, Now: at, Validity: validity})
		if err != nil {
			t.Fatal(err)
		}
		if err := is.Save(dir, ca.Cert); err != nil {
			t.Fatal(err)
		}
		crt, key := pki.CertPaths(dir, "replay")
		return identity{cert: crt, key: key, user: cluster.UserReplay, password: replayPW}
	}
	ours, err := pki.LoadCA(a.cl.PKIDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		id   identity
		want []string // any of them in kcat's stderr
	}{
		{"positive control", a.as(cluster.UserReplay, replayPW, ""), nil},
		{"client certificate from a foreign CA", issue(foreign, fdir, now, time.Hour), []string{"unknown ca", "bad certificate", "certificate unknown"}},
		{"expired client certificate of our CA", issue(ours, t.TempDir(), now.Add(-48*time.Hour), time.Hour), []string{"certificate expired", "bad certificate"}},
		{"no client certificate", identity{user: cluster.UserReplay, password: replayPW}, []string{"certificate required", "handshake failure"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, err := a.run(tc.id, 30*time.Second, "-L", "-m", "2")
			if tc.want == nil {
				if err != nil || !strings.Contains(out, topics.Logins) {
					t.Fatalf("the real replay identity was refused: %v\n%s", err, errOut)
				}
				t.Logf("connected: %s", firstLine(out, "topics"))
				return
			}
			if err == nil || strings.Contains(out, topics.Logins) {
				t.Fatalf("metadata listed (exit %v):\n%s", err, out)
			}
			found := false
			for _, w := range tc.want {
				found = found || strings.Contains(strings.ToLower(errOut), w)
			}
			if !found {
				t.Errorf("kcat's stderr names none of %q:\n%s", tc.want, errOut)
			}
			t.Logf("refused: %s; broker logged: %s", firstLine(errOut, "FAIL"), a.logged())
		})
	}

	t.Run("TLS 1.1", func(t *testing.T) {
		cfg := a.cl.ReplayTLS.Clone()
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		d := net.Dialer{Timeout: 5 * time.Second}
		conn, err := tls.DialWithDialer(&d, "tcp", a.cl.Brokers[0], cfg)
		if err == nil {
			conn.Close()
			t.Fatal("a TLS 1.1 handshake succeeded")
		}
		var alert tls.AlertError
		if !errors.As(err, &alert) && !strings.Contains(err.Error(), "protocol version") {
			t.Errorf("TLS 1.1: %v, want a protocol version alert", err)
		}
		t.Logf("refused: %v (%s)", err, pki.Explain(err))
	})

	// The service decided every honest vector throughout.
	res := a.honestReplay(a.honest)
	t.Logf("honest traffic: sent %d, decided %d", res.Sent, res.Decided)
}
