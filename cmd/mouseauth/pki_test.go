package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
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
		check   func(*testing.T, any)
		wantErr string
	}{
		{name: "init defaults", args: "init --pki-dir d", check: func(t *testing.T, got any) {
			o := got.(*PKIInitOptions)
			if o.Dir != "d" || o.Algo != "ecdsa-p256" || o.Validity != 10*365*24*time.Hour {
				t.Errorf("%+v", o)
			}
		}},
		{name: "init rsa", args: "init --pki-dir d --key rsa4096 --cn Root --org Ex", check: func(t *testing.T, got any) {
			o := got.(*PKIInitOptions)
			if o.Algo != "rsa4096" || o.Subject.CommonName != "Root" || o.Subject.Organization != "Ex" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "init bad key", args: "init --pki-dir d --key dsa", wantErr: "--key must be"},
		{name: "no dir", args: "show", wantErr: "--pki-dir is required"},
		{name: "dir from env", args: "show", env: map[string]string{envPKIDir: "envdir"}, check: func(t *testing.T, got any) {
			o := got.(*PKIShowOptions)
			if o.Dir != "envdir" || o.Output != "table" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "issue", args: "issue kafka-1 --pki-dir d --role server --dns a.example --dns b.example --ip 127.0.0.1 --ou live", check: func(t *testing.T, got any) {
			o := got.(*PKIIssueOptions)
			if o.Name != "kafka-1" || o.Role != pki.RoleServer || len(o.DNS) != 2 || len(o.IPs) != 1 || o.IPs[0].String() != "127.0.0.1" ||
				o.Subject.OrganizationalUnit != "live" || o.Validity != 365*24*time.Hour || o.Algo != "ecdsa-p256" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "issue no role", args: "issue x --pki-dir d", wantErr: "--role is required"},
		{name: "issue bad role", args: "issue x --pki-dir d --role admin", wantErr: "role must be"},
		{name: "issue bad ip", args: "issue x --pki-dir d --role client --ip 300.1.1.1", wantErr: "not an IP address"},
		{name: "issue no name", args: "issue --pki-dir d --role client", wantErr: "accepts 1 arg"},
		{name: "issue bad validity", args: "issue x --pki-dir d --role client --validity -1h", wantErr: "--validity must be positive"},
		{name: "sign", args: "sign r.csr --pki-dir d --role client --cert ext --cn other", check: func(t *testing.T, got any) {
			o := got.(*PKISignOptions)
			if o.CSRPath != "r.csr" || o.Name != "ext" || o.CN != "other" || o.Role != pki.RoleClient {
				t.Errorf("%+v", o)
			}
		}},
		{name: "sign has no --org", args: "sign r.csr --pki-dir d --role client --org x", wantErr: "unknown flag"},
		{name: "show json", args: "show --pki-dir d -o json", check: func(t *testing.T, got any) {
			if o := got.(*PKIShowOptions); o.Output != "json" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "show bad output", args: "show --pki-dir d -o xml", wantErr: "--output must be"},
		{name: "keystore password from env", args: "keystore k --pki-dir d", env: map[string]string{envKeystorePassword: "from-env"}, check: func(t *testing.T, got any) {
			o := got.(*PKIKeystoreOptions)
			if o.Password != "from-env" || o.Encoding != pki.EncodingModern || o.Name != "k" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "keystore password file wins", args: "keystore k --pki-dir d --encoding legacy-des --password-file " + pwFile, env: map[string]string{envKeystorePassword: "from-env"}, check: func(t *testing.T, got any) {
			o := got.(*PKIKeystoreOptions)
			if o.Password != "from-file" || o.Encoding != pki.EncodingLegacyDES {
				t.Errorf("%+v", o)
			}
		}},
		{name: "keystore no password", args: "keystore k --pki-dir d", wantErr: envKeystorePassword},
		{name: "keystore password flag does not exist", args: "keystore k --pki-dir d --password x", wantErr: "unknown flag"},
		{name: "keystore bad encoding", args: "keystore k --pki-dir d --encoding rc4", env: map[string]string{envKeystorePassword: "pw"}, wantErr: "--encoding must be"},
		{name: "config acl", args: "config acl --pki-dir d --replay r --scorer s", check: func(t *testing.T, got any) {
			o := got.(*PKIConfigACLOptions)
			if o.Replay != "r" || o.Scorer != "s" || o.Admin != "" || o.Group != topics.DefaultGroup || !slices.Equal(o.Bootstrap, []string{"localhost:9093"}) {
				t.Errorf("%+v", o)
			}
		}},
		{name: "config acl admin", args: "config acl --pki-dir d --replay r --scorer s --admin ops --group g1", check: func(t *testing.T, got any) {
			if o := got.(*PKIConfigACLOptions); o.Admin != "ops" || o.Group != "g1" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "config acl missing scorer", args: "config acl --pki-dir d --replay r", wantErr: "--scorer is required"},
		{name: "config acl client without a pki dir", args: "config acl --principal scorer=User:scorer --client ws1", wantErr: "--client reads the identity's certificate from --pki-dir"},
		{name: "bundle", args: "bundle --client ws1 --bind-users u1,u2 --out b", check: func(t *testing.T, got any) {
			if o := got.(*PKIBundleOptions); o.State != "mouseauth-state" || o.Client != "ws1" || !slices.Equal(o.Users, []string{"u1", "u2"}) || o.Out != "b" || o.Dir != "" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "bundle without users", args: "bundle --client ws1 --out b", wantErr: "--client, --bind-users and --out are required"},
		{name: "bundle real cluster without brokers", args: "bundle --pki-dir d --client ws1 --bind-users u --out b", wantErr: "--pki-dir (a real cluster) needs --brokers and --scorer-key"},
		{name: "bundle brokers without pki dir", args: "bundle --brokers k:9093 --client ws1 --bind-users u --out b", wantErr: "--brokers needs --pki-dir"},
		{name: "issue any and users", args: "issue r --pki-dir d --role client --bind-any-user --bind-users u", wantErr: "exclude each other"},
		{name: "issue the replay identity", args: "issue r --pki-dir d --role client --bind-any-user", check: func(t *testing.T, got any) {
			if o := got.(*PKIIssueOptions); o.Binding == nil || !o.Binding.AnyUser {
				t.Errorf("%+v", o)
			}
		}},
		{name: "config unknown", args: "config redis --pki-dir d --cert x", wantErr: "want kafka, mariadb"},
		{name: "config kafka", args: "config kafka --pki-dir d --cert k1", check: func(t *testing.T, got any) {
			if o := got.(*PKIConfigKafkaOptions); o.Name != "k1" || o.Listener != "0.0.0.0:9093" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "config kafka no name", args: "config kafka --pki-dir d", wantErr: "--cert is required"},
		{name: "config mariadb", args: "config mariadb --pki-dir d --cert db --client s --account u --grant ALL", check: func(t *testing.T, got any) {
			if o := got.(*PKIConfigMariaDBOptions); o.Name != "db" || o.Client != "s" || o.User != "u" || o.Host != "%" || o.Grant != "ALL" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "config mariadb client without user", args: "config mariadb --pki-dir d --cert db --client s", wantErr: "go together"},
		{name: "config cassandra", args: "config cassandra --pki-dir d --cert c1", check: func(t *testing.T, got any) {
			if o := got.(*PKIConfigCassandraOptions); o.Name != "c1" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "check mysql from env", args: "check --pki-dir d --cert s --mysql", env: map[string]string{envMySQLDSN: "u@tcp(h:3306)/"}, check: func(t *testing.T, got any) {
			if o := got.(*PKICheckOptions); o.MySQLDSN != "u@tcp(h:3306)/" || o.Name != "s" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "check mysql without dsn", args: "check --pki-dir d --cert s --mysql", wantErr: envMySQLDSN},
		{name: "check nothing", args: "check --pki-dir d --cert s", wantErr: "nothing to check"},
		{name: "check no name", args: "check --pki-dir d --brokers h:1", wantErr: "--cert is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{envPKIDir, envKeystorePassword, envMySQLDSN} {
				t.Setenv(k, tt.env[k])
			}
			ios, _, _, _ := cli.TestIO()
			var got any
			root := NewCmdRoot(&cli.Factory{IO: ios})
			for _, c := range root.Commands() {
				if c.Name() == "pki" {
					root.RemoveCommand(c)
				}
			}
			cmd := newCmdPKI(&cli.Factory{IO: ios}, func(_ context.Context, o any) error { got = o; return nil })
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

func TestNewCmdPKIHelp(t *testing.T) {
	for _, args := range [][]string{{"pki", "config", "--help"}, {"pki", "config", "acl", "--help"}} {
		ios, _, out, _ := cli.TestIO()
		root := NewCmdRoot(&cli.Factory{IO: ios})
		root.SetArgs(args)
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "Example") {
			t.Fatalf("%v: no example:\n%s", args, out)
		}
		if args[2] == "--help" && !strings.Contains(out.String(), "cannot map certificates to principals") {
			t.Errorf("config help does not mention the embedded broker's limit:\n%s", out)
		}
		if args[2] == "acl" && !strings.Contains(out.String(), "Read     topic mouseauth.decisions") {
			t.Errorf("acl help does not list the client's Read on decisions:\n%s", out)
		}
	}
}

// TestPKIRun drives the run functions as a user would; the workflows
// themselves are tested in package pki.
func TestPKIRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	now := time.Now()
	var out, errOut *cli.Buffer
	common := func() pkiCommon {
		var ios *cli.IOStreams
		ios, _, out, errOut = cli.TestIO()
		return pkiCommon{IO: ios, Now: func() time.Time { return now }, Dir: dir}
	}
	ctx := context.Background()
	must := func(what string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return out.String()
	}
	year := 365 * 24 * time.Hour

	got := must("init", runPKIInit(ctx, &PKIInitOptions{pkiCommon: common(), Algo: "ecdsa-p256", Validity: 10 * year,
		Subject: pki.Subject{CommonName: "test root", Organization: "mouseauth"}}))
	if !strings.Contains(got, "created CA CN=test root,O=mouseauth") || !strings.Contains(got, "ca.key (mode 0600)") {
		t.Fatalf("init printed %q", got)
	}
	got = must("issue", runPKIIssue(ctx, &PKIIssueOptions{pkiCommon: common(), Name: "broker", Role: pki.RoleServer, DNS: []string{"localhost"}, Validity: year}))
	if !strings.Contains(got, "issued broker: CN=broker,O=mouseauth, role server, SANs [localhost]") || !strings.Contains(got, "broker.key (mode 0600)") {
		t.Fatalf("issue printed %q", got)
	}
	// -o json: one row naming the files written.
	c := common()
	c.Output = "json"
	var issued []map[string]string
	if err := json.Unmarshal([]byte(must("issue -o json", runPKIIssue(ctx, &PKIIssueOptions{pkiCommon: c, Name: "replay", Role: pki.RoleClient, Validity: year}))), &issued); err != nil ||
		len(issued) != 1 || issued[0]["name"] != "replay" || issued[0]["role"] != "client" || issued[0]["key"] != filepath.Join(dir, "issued", "replay.key") {
		t.Fatalf("issue -o json: %v %q", err, out)
	}
	must("issue", runPKIIssue(ctx, &PKIIssueOptions{pkiCommon: common(), Name: "scorer", Role: pki.RoleClient, Subject: pki.Subject{OrganizationalUnit: "live"}, Validity: year}))

	table := must("show", runPKIShow(ctx, &PKIShowOptions{pkiCommon: common(), Output: "table"}))
	if !strings.Contains(table, "replay") || !strings.Contains(table, "valid") {
		t.Errorf("show table:\n%s", table)
	}
	if got := must("keystore", runPKIKeystore(ctx, &PKIKeystoreOptions{pkiCommon: common(), Name: "broker", Password: "ks-pass-1", Encoding: pki.EncodingModern})); !strings.Contains(got, filepath.Join(dir, "keystores", "broker.p12")) {
		t.Fatalf("keystore printed %q", got)
	}

	acl := must("config acl", runPKIConfigACL(ctx, &PKIConfigACLOptions{pkiCommon: common(), Replay: "replay", Scorer: "scorer", Group: "g1", Bootstrap: []string{"k:9093"}}))
	for _, w := range []string{
		"--allow-principal 'User:CN=scorer,OU=live,O=mouseauth' --operation Read --group 'g1' --resource-pattern-type literal",
		"--allow-principal 'User:CN=replay,O=mouseauth' --operation Read --topic 'mouseauth.decisions' --resource-pattern-type literal",
		"--allow-principal 'User:CN=replay,O=mouseauth' --operation Write --topic 'mouseauth.features.' --resource-pattern-type prefixed",
	} {
		if !strings.Contains(acl, w) {
			t.Errorf("acl lacks %q:\n%s", w, acl)
		}
	}
	if err := runPKIConfigACL(ctx, &PKIConfigACLOptions{pkiCommon: common(), Replay: "replay", Scorer: "scorer", Admin: "nope"}); err == nil {
		t.Error("config acl with a missing admin certificate succeeded")
	}
	kafkaProps := must("config kafka", runPKIConfigKafka(ctx, &PKIConfigKafkaOptions{pkiCommon: common(), Name: "broker", Listener: "0.0.0.0:9093"}))
	if abs, _ := filepath.Abs(filepath.Join(dir, "keystores", "broker.p12")); !strings.Contains(kafkaProps, "ssl.keystore.location="+abs+"\n") {
		t.Errorf("config kafka:\n%s", kafkaProps)
	}
	my := must("config mariadb", runPKIConfigMariaDB(ctx, &PKIConfigMariaDBOptions{pkiCommon: common(), Name: "broker", Client: "scorer", User: "scorer", Host: "%"}))
	if !strings.Contains(my, "require_secure_transport = ON") || !strings.Contains(my, "REQUIRE SUBJECT '/O=mouseauth/OU=live/CN=scorer' AND ISSUER '/O=mouseauth/CN=test root'") {
		t.Errorf("mariadb:\n%s", my)
	}
	if err := runPKIConfigCassandra(ctx, &PKIConfigCassandraOptions{pkiCommon: common(), Name: "nope"}); err == nil {
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
	got = must("check", runPKICheck(ctx, &PKICheckOptions{pkiCommon: common(), Name: "replay", Brokers: []string{"localhost:" + port}, Output: "csv"}))
	if !strings.Contains(got, "kafka,localhost:"+port+",true,TLS 1.3,") || !strings.Contains(got, "CN=broker,O=mouseauth <- CN=test root,O=mouseauth") {
		t.Errorf("check printed %q", got)
	}
	// The broker certificate lists only "localhost": dialling by IP must fail, with words.
	err = runPKICheck(ctx, &PKICheckOptions{pkiCommon: common(), Name: "replay", Brokers: []string{"127.0.0.1:" + port}, Output: "table"})
	if !errors.Is(err, errCheckFailed) || !strings.Contains(errOut.String(), "server name does not match") {
		t.Errorf("check by IP: %v\n%s", err, errOut)
	}

	// a key with loose permissions is refused, naming the file.
	_, key := pki.CertPaths(dir, "replay")
	os.Chmod(key, 0o644)
	err = runPKICheck(ctx, &PKICheckOptions{pkiCommon: common(), Name: "replay", Brokers: []string{"localhost:" + port}, Output: "table"})
	if !errors.Is(err, pki.ErrLoosePermissions) || !strings.Contains(err.Error(), key) {
		t.Errorf("loose key: %v", err)
	}
}
