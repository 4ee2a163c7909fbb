package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/internal/secret"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/pki"
	"github.com/mouseauth/mouseauth/replay"
)

// The operator-safety checks of issue 11 (item 7) at the command line, and
// the SASL flags every Kafka command shares.

func TestServeListenNeedsAllowRemoteMetrics(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args    string
		wantErr string
	}{
		{args: "--listen 0.0.0.0:9464", wantErr: "--listen 0.0.0.0:9464 is reachable from other hosts"},
		{args: "--listen :9464", wantErr: "--allow-remote-metrics"},
		{args: "--listen [::]:9464", wantErr: "--allow-remote-metrics"},
		{args: "--listen 10.1.2.3:9464", wantErr: "--allow-remote-metrics"},
		{args: "--listen metrics.example.com:9464", wantErr: "--allow-remote-metrics"},
		{args: "--listen 9464", wantErr: "want host:port"},
		{args: "--listen 0.0.0.0:9464 --allow-remote-metrics"},
		{args: "--listen 127.0.0.1:9464"},
		{args: "--listen [::1]:9464"},
		{args: "--listen localhost:0"},
		{args: "--listen="},
	} {
		ios, _, _, _ := cli.TestIO()
		called := false
		cmd := newCmdLiveServe(&cli.Factory{IO: ios}, func(context.Context, *ServeOptions) error { called = true; return nil })
		err := execArgs(ios, cmd, tc.args)
		if tc.wantErr != "" {
			wantUsageError(t, err, tc.wantErr)
			continue
		}
		if err != nil || !called {
			t.Errorf("%s: %v", tc.args, err)
		}
	}
}

// TestServeListenFromEnvironment: $MOUSEAUTH_LISTEN is the default of
// --listen (a flag overrides it), under the same loopback rule. It sets
// the environment, so it does not run in parallel.
func TestServeListenFromEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env, args, want, wantErr string
	}{
		{env: "", args: "", want: defaultListen},
		{env: "127.0.0.1:0", args: "", want: "127.0.0.1:0"},
		{env: "127.0.0.1:0", args: "--listen 127.0.0.1:9500", want: "127.0.0.1:9500"},
		{env: "0.0.0.0:9464", args: "", wantErr: "--allow-remote-metrics"},
	} {
		t.Setenv(envListen, tc.env)
		ios, _, _, _ := cli.TestIO()
		var got string
		cmd := newCmdLiveServe(&cli.Factory{IO: ios}, func(_ context.Context, o *ServeOptions) error { got = o.Listen; return nil })
		err := execArgs(ios, cmd, tc.args)
		if tc.wantErr != "" {
			wantUsageError(t, err, tc.wantErr)
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s=%q %s: --listen %q, %v; want %q", envListen, tc.env, tc.args, got, err, tc.want)
		}
	}
}

func TestSASLFlags(t *testing.T) {
	dir := t.TempDir()
	private := filepath.Join(dir, "replay.password")
	os.WriteFile(private, []byte("s3cret-from-file\n"), 0o600)
	loose := filepath.Join(dir, "loose.password")
	os.WriteFile(loose, []byte("s3cret\n"), 0o644)
	os.Chmod(loose, 0o644)
	ext := "--brokers k:9093 --pki-dir pki "
	for _, tc := range []struct {
		name, args, env, wantErr string
		check                    func(*ReplayOptions) error
	}{
		{name: "embedded takes no SASL flags", args: "--sasl-user replay", wantErr: "are for --brokers"},
		{name: "user without password", args: ext + "--sasl-user replay", wantErr: "MOUSEAUTH_SASL_PASSWORD"},
		{name: "password file without user", args: ext + "--sasl-password-file " + private, wantErr: "needs --sasl-user"},
		{name: "no password flag", args: ext + "--sasl-user replay --sasl-password pw", wantErr: "unknown flag: --sasl-password"},
		{name: "PLAIN", args: ext + "--sasl-user replay --sasl-password-file " + private + " --sasl-mechanism PLAIN", wantErr: `--sasl-mechanism "PLAIN"`},
		{name: "password file", args: ext + "--sasl-user replay --sasl-password-file " + private, check: func(o *ReplayOptions) error {
			d, err := o.Deploy.options()
			if err != nil || d.SASL.User != "replay" || d.SASL.Password != "s3cret-from-file" || d.SASL.Mechanism != topics.SCRAMSHA512 {
				return fmt.Errorf("%+v, %v", d.SASL.User, err)
			}
			return nil
		}},
		{name: "environment", args: ext + "--sasl-user replay --sasl-mechanism SCRAM-SHA-256", env: "from-env", check: func(o *ReplayOptions) error {
			d, err := o.Deploy.options()
			if err != nil || d.SASL.Password != "from-env" || d.SASL.Mechanism != topics.SCRAMSHA256 {
				return fmt.Errorf("%+v, %v", d.SASL.User, err)
			}
			return nil
		}},
		{name: "loose password file", args: ext + "--sasl-user replay --sasl-password-file " + loose, check: func(o *ReplayOptions) error {
			if _, err := o.Deploy.options(); !errors.Is(err, secret.ErrLoosePermissions) || strings.Contains(err.Error(), "s3cret") {
				return fmt.Errorf("a 0644 password file: %v", err)
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(envSASLPassword, tc.env)
			t.Setenv("MOUSEAUTH_MYSQL_DSN", "")
			ios, _, _, _ := cli.TestIO()
			var got *ReplayOptions
			cmd := newCmdReplay(&cli.Factory{IO: ios, Now: time.Now}, func(_ context.Context, o *ReplayOptions) error { got = o; return nil })
			err := execArgs(ios, cmd, tc.args)
			if tc.wantErr != "" {
				wantUsageError(t, err, tc.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.check(got); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestServeStateIsPrivateAndLocked runs `live serve` on a state folder
// pre-created 0755 with a 0644 file (before the fix the database, its WAL
// and the broker's files stayed world-readable there), sends traffic with
// `replay --no-service` as the printed command says, and checks every path
// while serving and after the drain. A second serve, and an embedded
// replay, on the same folder are refused naming this process.
func TestServeStateIsPrivateAndLocked(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(state, 0o755)
	if err := os.WriteFile(filepath.Join(state, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(state, "notes.txt"), 0o644) // loose whatever the umask (a parallel test's cluster holds a private one)
	ios, _, _, serveErr := cli.TestIO()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan (<-chan struct{}), 1)
	sopts := &ServeOptions{IO: ios, Retrain: -1, Trees: 10, Seed: 1, Group: topics.DefaultGroup,
		LogLevel: "warn", Lockout: 5, LockFor: time.Minute, Started: func(_ string, r <-chan struct{}) { ready <- r }}
	sopts.Deploy = DeployOptions{State: state, TLSName: "scorer", Partitions: 2, Getenv: func(string) string { return "" }}
	done := make(chan error, 1)
	go func() { done <- serveRun(ctx, sopts) }()
	select {
	case r := <-ready:
		select {
		case <-r:
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, serveErr)
		}
	case err := <-done:
		t.Fatalf("serve stopped before starting: %v\n%s", err, serveErr)
	}

	// A second serve and an embedded replay on the same state.
	second := *sopts
	second.IO, _, _, _ = cli.TestIO()
	second.Started = nil
	err := serveRun(context.Background(), &second)
	pid := fmt.Sprintf("process %d", os.Getpid())
	if !errors.Is(err, cluster.ErrStateLocked) || !strings.Contains(err.Error(), pid) {
		t.Fatalf("second serve: %v, want the state locked by %s", err, pid)
	}
	rios, _, _, rerr := cli.TestIO()
	ropts := &ReplayOptions{IO: rios, Now: time.Now, Users: []int{2}, Sessions: 2, Actions: 30, Seed: 2, Impostors: 0,
		Speed: 1, Interval: -1, Wait: time.Minute, Trees: 10, Output: "json"}
	ropts.Deploy = DeployOptions{State: state, TLSName: "replay", Partitions: 2, Getenv: func(string) string { return "" }}
	if err := replayRun(context.Background(), ropts); !errors.Is(err, cluster.ErrStateLocked) {
		t.Fatalf("embedded replay on a served state: %v", err)
	}
	t.Logf("refused: %v", err)

	// Honest traffic through the served broker, as the shared replay
	// identity on the scorer's side (it enrols its users).
	var results []replay.Result
	ropts.NoService, ropts.Result = true, func(r []replay.Result) { results = r }
	ropts.Deploy.Brokers, ropts.Deploy.TLSDir = []string{brokerOf(t, serveErr.String())}, filepath.Join(state, "pki")
	ropts.Deploy.SASL = SASLFlags{User: cluster.UserReplay, PasswordFile: cluster.PasswordPath(state, cluster.UserReplay), Mechanism: topics.SCRAMSHA512}
	if err := replayRun(context.Background(), ropts); err != nil {
		t.Fatalf("replay: %v\n%s", err, rerr)
	}
	if r := results[0]; r.Sent == 0 || r.Decided != r.Sent {
		t.Fatalf("sent %d decided %d", r.Sent, r.Decided)
	}
	checkPrivate(t, state, "serving", "mouseauth.db-wal", "mouseauth.db-shm", "sasl/replay.password", "kafka")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	checkPrivate(t, state, "stopped", "mouseauth.db", "kafka/partitions", "notes.txt", cluster.LockFile)
}

// brokerOf reads the broker address from serve's log line naming it.
func brokerOf(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if _, rest, ok := strings.Cut(line, "embedded Kafka broker "); ok {
			return strings.Fields(rest)[0]
		}
	}
	t.Fatalf("serve named no broker:\n%s", out)
	return ""
}

// checkPrivate fails for every path under dir that group or others may
// access (directories must be 0700, files 0600) and for each of mustExist
// (relative to dir) that is missing.
func checkPrivate(t *testing.T, dir, when string, mustExist ...string) {
	t.Helper()
	n := testutil.CheckPrivate(t, dir, when)
	for _, m := range mustExist {
		if _, err := os.Stat(filepath.Join(dir, m)); err != nil {
			t.Errorf("%s: %v", when, err)
		}
	}
	t.Logf("%s: %d paths, all private", when, n)
}

func TestPKICheckSASL(t *testing.T) {
	cl, err := cluster.Start(context.Background(), cluster.Options{Dir: t.TempDir(), Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	pw, err := secret.Read(cluster.PasswordPath(cl.Dir, cluster.UserReplay))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		user, pw string
		wantOK   bool
		explain  string
	}{
		{name: "TLS only", wantOK: true},
		{name: "replay's password", user: "replay", pw: pw, wantOK: true},
		{name: "wrong password", user: "replay", pw: pw + "x", explain: "refused the SASL user or password"},
		{name: "unknown user", user: "mallory", pw: pw, explain: "refused the SASL user or password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, out, errOut := cli.TestIO()
			o := &PKICheckOptions{pkiCommon: pkiCommon{IO: ios, Now: time.Now, Dir: cl.PKIDir}, Output: "json", Name: "replay", Brokers: cl.Brokers[:1]}
			o.SASL.User, o.SASL.Password = tc.user, tc.pw
			err := runPKICheck(context.Background(), o)
			if tc.wantOK != (err == nil) || !strings.Contains(out.String(), `"ok": `+fmt.Sprint(tc.wantOK)) {
				t.Fatalf("err %v\n%s\n%s", err, out, errOut)
			}
			if !strings.Contains(out.String(), "TLS 1.3") || !strings.Contains(out.String()+errOut.String(), tc.explain) {
				t.Errorf("output lacks the TLS version or %q:\n%s\n%s", tc.explain, out, errOut)
			}
			if tc.pw != "" && strings.Contains(out.String()+errOut.String(), tc.pw) {
				t.Error("the password was printed")
			}
		})
	}
	t.Setenv(envSASLPassword, "")
	for args, want := range map[string]string{
		"--pki-dir d --cert replay --brokers k:1 --sasl-user replay":                          "MOUSEAUTH_SASL_PASSWORD",
		"--pki-dir d --cert replay --cassandra c:1 --sasl-user replay --sasl-password-file x": "give --brokers",
	} {
		ios, _, _, _ := cli.TestIO()
		cmd := newCmdPKICheck(&cli.Factory{IO: ios}, func(context.Context, *PKICheckOptions) error { return nil })
		wantUsageError(t, execArgs(ios, cmd, args), want)
	}
}

func TestPKIConfigACLPrincipals(t *testing.T) {
	run := func(args string) (string, error) {
		ios, _, out, _ := cli.TestIO()
		t.Setenv(envPKIDir, "")
		err := execArgs(ios, newCmdPKIConfigACL(&cli.Factory{IO: ios}, nil), args)
		return out.String(), err
	}
	out, err := run("--principal scorer=User:scorer --principal replay=User:replay --principal admin=User:ops --principal operator=User:ops-reader --group g1")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"--allow-principal 'User:scorer' --operation Read --group 'g1' --resource-pattern-type literal",
		"--allow-principal 'User:replay' --operation Read --topic 'mouseauth.decisions' --resource-pattern-type literal",
		"--allow-principal 'User:replay' --operation Write --topic 'mouseauth.logins' --resource-pattern-type literal",
		"--allow-principal 'User:ops' --operation Create --topic 'mouseauth.features.' --resource-pattern-type prefixed",
		"--allow-principal 'User:ops-reader' --operation Read --topic 'mouseauth.decisions.' --resource-pattern-type prefixed",
		"SASL users (SASL_SSL listener)",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "'User:scorer' --operation Read --topic 'mouseauth.decisions'") {
		t.Error("the scorer was granted what replay does")
	}
	wantUsageError(t, func() error {
		_, err := run("--principal client=User:replay --principal scorer=User:scorer")
		return err
	}(),
		"a client identity is named by its certificate")
	wantUsageError(t, func() error { _, err := run("--principal scorer=CN=scorer"); return err }(), "is not User:NAME")
	wantUsageError(t, func() error { _, err := run("--principal root=User:x --principal replay=User:r"); return err }(), `unknown role "root"`)
	wantUsageError(t, func() error { _, err := run("--principal replay=User:replay"); return err }(), "--scorer is required")
	// Mixed: the scorer's certificate subject, replay's SASL user.
	dir := filepath.Join(t.TempDir(), "pki")
	if _, err := pki.CreateCA(dir, pki.CAOptions{Subject: pki.Subject{CommonName: "root", Organization: "mouseauth"}, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := pki.IssueInDir(dir, pki.IssueRequest{Name: "scorer", Role: pki.RoleClient, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	out, err = run("--pki-dir " + dir + " --scorer scorer --principal replay=User:replay")
	if err != nil || !strings.Contains(out, "'User:CN=scorer,O=mouseauth'") || !strings.Contains(out, "'User:replay'") {
		t.Errorf("mixed principals: %v\n%s", err, out)
	}
	// A workstation's identity: its grants name its users' topics with
	// --topic-per-user, its own decision topic, and its certificate's
	// subject as principal (on an SSL listener).
	if _, err := pki.IssueInDir(dir, pki.IssueRequest{Name: "ws1", Role: pki.RoleClient, Now: time.Now(), Binding: &pki.Binding{Users: []string{"alice"}}}); err != nil {
		t.Fatal(err)
	}
	out, err = run("--pki-dir " + dir + " --scorer scorer --client ws1 --topic-per-user")
	for _, w := range []string{
		"--allow-principal 'User:CN=ws1,O=mouseauth' --operation Write --topic 'mouseauth.features.alice' --resource-pattern-type literal",
		"--allow-principal 'User:CN=ws1,O=mouseauth' --operation Read --topic 'mouseauth.decisions.ws1' --resource-pattern-type literal",
	} {
		if err != nil || !strings.Contains(out, w) {
			t.Errorf("client grants lack %q (%v):\n%s", w, err, out)
		}
	}
	if strings.Contains(out, "'User:CN=ws1,O=mouseauth' --operation Write --topic 'mouseauth.features' ") {
		t.Error("a workstation may write the keyed features topic with one topic per user")
	}
	if _, err := run("--pki-dir " + dir + " --scorer scorer --client scorer"); err == nil || !strings.Contains(err.Error(), "names no users") {
		t.Errorf("a certificate that is no client identity: %v", err)
	}
}

func TestPKISignAllowFlags(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := cli.TestIO()
	var got any
	cmd := newCmdPKI(&cli.Factory{IO: ios}, func(_ context.Context, o any) error { got = o; return nil })
	if err := execArgs(ios, cmd, "sign r.csr --pki-dir d --role server --allow-wildcard --allow-unspecified-ip --allow-duplicate-principal"); err != nil {
		t.Fatal(err)
	}
	if o := got.(*PKISignOptions); o.Allow != (pki.Allowances{Wildcard: true, UnspecifiedIP: true, DuplicatePrincipal: true}) {
		t.Errorf("sign: %+v", o.Allow)
	}
	if err := execArgs(ios, newCmdPKI(&cli.Factory{IO: ios}, func(_ context.Context, o any) error { got = o; return nil }),
		"issue web --pki-dir d --role server --dns *.example.com --allow-wildcard"); err != nil {
		t.Fatal(err)
	}
	if o := got.(*PKIIssueOptions); !o.Allow.Wildcard || o.Allow.DuplicatePrincipal {
		t.Errorf("issue: %+v", o.Allow)
	}
	// Without the flags the workflow refuses; runPKISign reports it.
	dir := filepath.Join(t.TempDir(), "pki")
	if _, err := pki.CreateCA(dir, pki.CAOptions{Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	err := runPKIIssue(context.Background(), &PKIIssueOptions{pkiCommon: pkiCommon{IO: ios, Now: time.Now, Dir: dir}, Name: "any",
		Role: pki.RoleServer, IPs: nil, DNS: []string{"*"}, Validity: time.Hour})
	if !errors.Is(err, pki.ErrRefusedRequest) || !strings.Contains(err.Error(), "--allow-wildcard") {
		t.Errorf("issue of '*': %v", err)
	}
}
