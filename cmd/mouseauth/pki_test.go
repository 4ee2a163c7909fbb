package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/pki"
)

func TestNewCmdPKI(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("from-file\n"), 0o600)
	tests := []struct {
		name    string
		args    string
		env     map[string]string
		check   func(*testing.T, *PKIOptions)
		wantErr string
	}{
		{name: "init defaults", args: "init --dir d", check: func(t *testing.T, o *PKIOptions) {
			if o.Action != "init" || o.Dir != "d" || o.Algo != "ecdsa-p256" || o.Validity != 10*365*24*time.Hour {
				t.Errorf("%+v", o)
			}
		}},
		{name: "init rsa", args: "init --dir d --key rsa4096 --cn Root --org Ex", check: func(t *testing.T, o *PKIOptions) {
			if o.Algo != "rsa4096" || o.CN != "Root" || o.Org != "Ex" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "init bad key", args: "init --dir d --key dsa", wantErr: "--key must be"},
		{name: "no dir", args: "show", wantErr: "--dir is required"},
		{name: "dir from env", args: "show", env: map[string]string{envPKIDir: "envdir"}, check: func(t *testing.T, o *PKIOptions) {
			if o.Dir != "envdir" || o.Output != "table" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "issue", args: "issue kafka-1 --dir d --role server --dns a.example --dns b.example --ip 127.0.0.1", check: func(t *testing.T, o *PKIOptions) {
			if o.Name != "kafka-1" || o.Role != pki.RoleServer || len(o.DNS) != 2 || len(o.IPs) != 1 || o.IPs[0].String() != "127.0.0.1" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "issue no role", args: "issue x --dir d", wantErr: "--role is required"},
		{name: "issue bad role", args: "issue x --dir d --role admin", wantErr: "role must be"},
		{name: "issue bad ip", args: "issue x --dir d --role client --ip 300.1.1.1", wantErr: "not an IP address"},
		{name: "issue no name", args: "issue --dir d --role client", wantErr: "accepts 1 arg"},
		{name: "sign", args: "sign r.csr --dir d --role client --name ext", check: func(t *testing.T, o *PKIOptions) {
			if o.CSRPath != "r.csr" || o.Name != "ext" || o.Role != pki.RoleClient {
				t.Errorf("%+v", o)
			}
		}},
		{name: "show json", args: "show --dir d -o json", check: func(t *testing.T, o *PKIOptions) {
			if o.Output != "json" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "show bad output", args: "show --dir d -o xml", wantErr: "--output must be"},
		{name: "keystore password from env", args: "keystore k --dir d", env: map[string]string{envKeystorePassword: "from-env"}, check: func(t *testing.T, o *PKIOptions) {
			if o.Password != "from-env" || o.Encoding != pki.EncodingModern {
				t.Errorf("%+v", o)
			}
		}},
		{name: "keystore password file wins", args: "keystore k --dir d --encoding legacy-des --password-file " + pwFile, env: map[string]string{envKeystorePassword: "from-env"}, check: func(t *testing.T, o *PKIOptions) {
			if o.Password != "from-file" || o.Encoding != pki.EncodingLegacyDES {
				t.Errorf("%+v", o)
			}
		}},
		{name: "keystore no password", args: "keystore k --dir d", wantErr: envKeystorePassword},
		{name: "keystore password flag does not exist", args: "keystore k --dir d --password x", wantErr: "unknown flag"},
		{name: "config acl", args: "config acl --dir d --replay r --scorer s", check: func(t *testing.T, o *PKIOptions) {
			if o.Kind != "acl" || o.Replay != "r" || o.Scorer != "s" || o.Group != topics.DefaultGroup {
				t.Errorf("%+v", o)
			}
		}},
		{name: "config acl missing scorer", args: "config acl --dir d --replay r", wantErr: "--scorer are required"},
		{name: "config unknown", args: "config redis --dir d --name x", wantErr: "want kafka, mariadb"},
		{name: "config mariadb client without user", args: "config mariadb --dir d --name db --client s", wantErr: "go together"},
		{name: "check mysql from env", args: "check --dir d --name s --mysql", env: map[string]string{envMySQLDSN: "u@tcp(h:3306)/"}, check: func(t *testing.T, o *PKIOptions) {
			if o.MySQLDSN != "u@tcp(h:3306)/" || o.Name != "s" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "check mysql without dsn", args: "check --dir d --name s --mysql", wantErr: envMySQLDSN},
		{name: "check nothing", args: "check --dir d --name s", wantErr: "nothing to check"},
		{name: "check no name", args: "check --dir d --kafka h:1", wantErr: "--name is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{envPKIDir, envKeystorePassword, envMySQLDSN} {
				t.Setenv(k, tt.env[k])
			}
			ios, _, _, _ := cli.TestIO()
			var got *PKIOptions
			root := NewCmdRoot(&cli.Factory{IO: ios})
			for _, c := range root.Commands() {
				if c.Name() == "pki" {
					root.RemoveCommand(c)
				}
			}
			cmd := newCmdPKI(&cli.Factory{IO: ios}, func(_ context.Context, o *PKIOptions) error { got = o; return nil })
			root.AddCommand(cmd)
			usageErrors(cmd)
			root.SetArgs(append([]string{"pki"}, strings.Fields(tt.args)...))
			err := root.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				if cli.ExitCode(err) != cli.ExitUsage {
					t.Errorf("exit code %d, want %d", cli.ExitCode(err), cli.ExitUsage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatal("run function not called")
			}
			tt.check(t, got)
		})
	}
}

func TestNewCmdPKIHelpMentionsEmbeddedLimit(t *testing.T) {
	ios, _, out, _ := cli.TestIO()
	root := NewCmdRoot(&cli.Factory{IO: ios})
	root.SetArgs([]string{"pki", "config", "--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "cannot map certificates to principals") || !strings.Contains(out.String(), "Example") {
		t.Fatalf("help:\n%s", out)
	}
}

// TestPKIRun drives init, issue, sign, show, keystore, config and check
// through the run function, as a user would.
func TestPKIRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	now := time.Now()
	var ios *cli.IOStreams
	var out, errOut *cli.Buffer
	run := func(o PKIOptions) error {
		t.Helper()
		ios, _, out, errOut = cli.TestIO()
		o.IO, o.Now, o.Dir = ios, func() time.Time { return now }, dir
		if o.Validity == 0 {
			o.Validity = 365 * 24 * time.Hour
		}
		return pkiRun(context.Background(), &o)
	}
	must := func(o PKIOptions) string {
		t.Helper()
		if err := run(o); err != nil {
			t.Fatalf("%s: %v", o.Action, err)
		}
		return out.String()
	}

	if got := must(PKIOptions{Action: "init", Algo: "ecdsa-p256", Org: "mouseauth", CN: "test root"}); !strings.Contains(got, "created CA CN=test root,O=mouseauth") {
		t.Fatalf("init printed %q", got)
	}
	if err := run(PKIOptions{Action: "init", Algo: "ecdsa-p256"}); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("second init: %v", err)
	}
	must(PKIOptions{Action: "issue", Name: "broker", Role: pki.RoleServer, DNS: []string{"localhost"}, IPs: nil})
	must(PKIOptions{Action: "issue", Name: "replay", Role: pki.RoleClient})
	must(PKIOptions{Action: "issue", Name: "scorer", Role: pki.RoleClient, OU: "live"})

	if openssl, err := exec.LookPath("openssl"); err == nil {
		d := t.TempDir()
		csr := filepath.Join(d, "ext.csr")
		if b, err := exec.Command(openssl, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
			"-keyout", filepath.Join(d, "ext.key"), "-out", csr, "-subj", "/CN=external").CombinedOutput(); err != nil {
			t.Fatalf("openssl: %v\n%s", err, b)
		}
		if got := must(PKIOptions{Action: "sign", CSRPath: csr, Role: pki.RoleClient}); !strings.Contains(got, "issued external") {
			t.Fatalf("sign printed %q", got)
		}
	}

	// show round-trips what was issued.
	if err := run(PKIOptions{Action: "show", Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var list []pki.CertInfo
	if err := json.Unmarshal([]byte(out.String()), &list); err != nil {
		t.Fatalf("show json: %v\n%s", err, out)
	}
	byName := map[string]pki.CertInfo{}
	for _, c := range list {
		byName[c.Name] = c
	}
	if b := byName["broker"]; b.Role != pki.RoleServer || strings.Join(b.SANs, ",") != "localhost" || !b.HasKey {
		t.Errorf("broker %+v", b)
	}
	if s := byName["scorer"]; s.Subject != "CN=scorer,OU=live,O=mouseauth" || s.Role != pki.RoleClient {
		t.Errorf("scorer %+v", s)
	}
	table := must(PKIOptions{Action: "show", Output: "table"})
	if !strings.Contains(table, "replay") || !strings.Contains(table, "valid") {
		t.Errorf("show table:\n%s", table)
	}

	// keystore, checked by keytool when present.
	if got := must(PKIOptions{Action: "keystore", Name: "broker", Password: "ks-pass-1", Encoding: pki.EncodingModern}); !strings.Contains(got, "broker.p12") {
		t.Fatalf("keystore printed %q", got)
	}
	if kt, err := exec.LookPath("keytool"); err == nil {
		b, err := exec.Command(kt, "-list", "-storetype", "PKCS12", "-keystore", filepath.Join(dir, "keystores", "broker.p12"), "-storepass", "ks-pass-1").CombinedOutput()
		if err != nil || !strings.Contains(string(b), "PrivateKeyEntry") {
			t.Fatalf("keytool: %v\n%s", err, b)
		}
	}

	// config
	acl := must(PKIOptions{Action: "config", Kind: "acl", Replay: "replay", Scorer: "scorer", Group: "g1", Bootstrap: "k:9093"})
	if !strings.Contains(acl, "--allow-principal 'User:CN=scorer,OU=live,O=mouseauth' --operation Read --group 'g1' --resource-pattern-type literal") ||
		!strings.Contains(acl, "--allow-principal 'User:CN=replay,O=mouseauth' --operation Read --topic 'mouseauth.decisions' --resource-pattern-type literal") {
		t.Errorf("acl:\n%s", acl)
	}
	my := must(PKIOptions{Action: "config", Kind: "mariadb", Name: "broker", Client: "scorer", User: "scorer", Host: "%"})
	if !strings.Contains(my, "require_secure_transport = ON") || !strings.Contains(my, "REQUIRE SUBJECT '/O=mouseauth/OU=live/CN=scorer' AND ISSUER '/O=mouseauth/CN=test root'") {
		t.Errorf("mariadb:\n%s", my)
	}
	if err := run(PKIOptions{Action: "config", Kind: "cassandra", Name: "nope"}); err == nil {
		t.Error("config for a missing certificate succeeded")
	}

	// check against an embedded broker serving the broker certificate.
	srv, err := pki.ServerTLSFromDir(dir, "broker")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(srv), kfake.SeedTopics(1, topics.Logins))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	_, port, _ := strings.Cut(cl.ListenAddrs()[0], ":")
	got := must(PKIOptions{Action: "check", Name: "replay", Kafka: "localhost:" + port, Output: "csv"})
	if !strings.Contains(got, "kafka,localhost:"+port+",true,TLS 1.3,") || !strings.Contains(got, "CN=broker,O=mouseauth <- CN=test root,O=mouseauth") {
		t.Errorf("check printed %q", got)
	}
	// The broker certificate lists only "localhost": dialling by IP must fail, with words.
	err = run(PKIOptions{Action: "check", Name: "replay", Kafka: "127.0.0.1:" + port, Output: "table"})
	if !errors.Is(err, errCheckFailed) || !strings.Contains(errOut.String(), "server name does not match") {
		t.Errorf("check by IP: %v\n%s", err, errOut)
	}

	// a key with loose permissions is refused, naming the file.
	_, key := pki.CertPaths(dir, "replay")
	os.Chmod(key, 0o644)
	err = run(PKIOptions{Action: "check", Name: "replay", Kafka: "localhost:" + port, Output: "table"})
	if !errors.Is(err, pki.ErrLoosePermissions) || !strings.Contains(err.Error(), key) {
		t.Errorf("loose key: %v", err)
	}
}
