package deploy_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/internal/secret"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/deploy"
	"github.com/mouseauth/mouseauth/live/store/embedded"
	"github.com/mouseauth/mouseauth/replay"
)

// TestBundleRunsAlone: the scorer's side runs an embedded pipeline (broker,
// store, service) and enrols two users; a client bundle for one of them,
// copied to a folder of its own, is all a replay needs: its logins are
// accepted and its vectors decided. The bundle's files are the six listed,
// private, and none holds the CA's key, the scorer's or any other role's
// key or password, the state key, or the database.
func TestBundleRunsAlone(t *testing.T) {
	ctx := context.Background()
	state := t.TempDir()
	cl, err := cluster.Start(ctx, cluster.Options{Dir: state, Partitions: 2, ClientsCheck: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	st, err := embedded.Open(ctx, cl.StorePath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, err := deploy.LoadKeys(state)
	if err != nil {
		t.Fatal(err)
	}
	us, err := replay.Synthetic(ctx, 2, 2, 15, 3)
	if err != nil {
		t.Fatal(err)
	}
	const password = "the users' password"
	if _, err := replay.Plan(ctx, st, st, us, replay.PlanOptions{Password: password, Now: time.Now(),
		Argon2: &account.Argon2Params{Memory: 64, Time: 1, Threads: 1}, Train: account.TrainOptions{Params: map[string]any{"trees": 10}}}); err != nil {
		t.Fatal(err)
	}
	svc, err := live.New(live.Config{Brokers: cl.Brokers, TLS: cl.ScorerTLS, SASL: cl.ScorerSASL, Profiles: st, Credentials: st, Keys: keys,
		SessionTimeout: 2 * time.Second, Retrain: live.RetrainPolicy{Every: -1}})
	if err != nil {
		t.Fatal(err)
	}
	stop, err := svc.Start(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	made := filepath.Join(t.TempDir(), "ws1")
	b, admin, err := deploy.WriteBundle(deploy.BundleOptions{State: state, Client: "ws1", Users: []string{"User1"}, Out: made, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if len(admin) != 0 || b.Config.Topics.Decisions != "mouseauth.decisions.ws1" || !slices.Equal(b.Config.Brokers, cl.Brokers) {
		t.Fatalf("bundle %+v, admin commands %v", b.Config, admin)
	}
	// The client machine: a copy of the bundle, nothing else.
	dir := filepath.Join(t.TempDir(), "client", "ws1")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var listed []string
	entries, err := os.ReadDir(made)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		listed = append(listed, e.Name())
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", e.Name(), fi.Mode().Perm())
		}
		b, err := os.ReadFile(filepath.Join(made, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if want := slices.Sorted(slices.Values(deploy.BundleFiles())); !slices.Equal(listed, want) {
		t.Fatalf("bundle files %v, want %v", listed, want)
	}
	if fi, _ := os.Stat(made); fi.Mode().Perm() != 0o700 {
		t.Errorf("the bundle folder has mode %04o", fi.Mode().Perm())
	}
	checkHoldsNoSecretOfTheScorer(t, state, dir)

	loaded, err := deploy.LoadBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := loaded.WaitAdmitted(wctx); err != nil {
		t.Fatalf("the running broker did not admit ws1: %v", err)
	}
	passwords := []string{password, password}
	ss := replay.Sessions(us[:1], passwords[:1], replay.PlanOptions{})
	res, err := replay.Run(ctx, replay.Config{Brokers: loaded.Config.Brokers, TLS: loaded.TLS, SASL: loaded.SASL, Topics: loaded.Names(),
		ScorerKey: loaded.ScorerKey, Identity: loaded.Identity, Interval: -1, Wait: time.Minute}, ss)
	if err != nil {
		t.Fatal(err)
	}
	if res.Refused != 0 || res.Sent == 0 || res.Decided != res.Sent {
		t.Fatalf("from the bundle alone: refused %d, sent %d, decided %d", res.Refused, res.Sent, res.Decided)
	}
	t.Logf("from the bundle alone: %d logins accepted, %d vectors sent, %d decided on %s", res.Logins, res.Sent, res.Decided, loaded.Config.Topics.Decisions)
	// User2 is not the bundle's: refused.
	res, err = replay.Run(ctx, replay.Config{Brokers: loaded.Config.Brokers, TLS: loaded.TLS, SASL: loaded.SASL, Topics: loaded.Names(),
		ScorerKey: loaded.ScorerKey, Interval: -1, Wait: time.Minute}, replay.Sessions(us[1:], passwords[1:], replay.PlanOptions{}))
	if err != nil || res.Refused != res.Logins || res.Sent != 0 {
		t.Fatalf("User2 from ws1's bundle: %+v %v", res, err)
	}
}

// checkHoldsNoSecretOfTheScorer reads every file of the client's folder
// and fails if one holds a secret of the scorer's side: a key of the CA,
// the scorer (HPKE) or the state, another identity's SASL password, or
// the database.
func checkHoldsNoSecretOfTheScorer(t *testing.T, state, client string) {
	t.Helper()
	secrets := map[string][]byte{}
	add := func(name, path string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		secrets[name] = bytes.TrimSpace(b)
	}
	add("the CA key", filepath.Join(state, "pki", "ca.key"))
	add("the scorer's login key", filepath.Join(state, deploy.KeysDir, deploy.ScorerKeyFile))
	add("the state key", filepath.Join(state, deploy.KeysDir, deploy.StateKeyFile))
	for _, u := range cluster.Users() {
		add(u+"'s SASL password", cluster.PasswordPath(state, u))
		if _, err := os.Stat(filepath.Join(state, "pki", "issued", u+".key")); err == nil {
			add(u+"'s TLS key", filepath.Join(state, "pki", "issued", u+".key"))
		}
	}
	if _, err := os.Stat(filepath.Join(state, "pki", "issued", "ws1.key")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the scorer's side kept the client's private key: %v", err)
	}
	err := filepath.WalkDir(client, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for name, s := range secrets {
			if len(s) > 0 && bytes.Contains(b, s) {
				t.Errorf("%s holds %s", path, name)
			}
		}
		if bytes.HasPrefix(b, []byte("SQLite format 3")) {
			t.Errorf("%s is a database", path)
		}
		if name := filepath.Base(path); name != deploy.BundleKey && bytes.Contains(b, []byte("PRIVATE KEY")) {
			t.Errorf("%s holds a private key", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Its own password is the one the broker knows.
	own, err := secret.Read(cluster.PasswordPath(state, "ws1"))
	if err != nil {
		t.Fatal(err)
	}
	if mine, err := secret.Read(filepath.Join(client, deploy.BundlePassword)); err != nil || mine != own {
		t.Errorf("the bundle's SASL password is not the registered one (%v)", err)
	}
}

// TestLoadBundleRefuses: a bundle that is not private, incomplete, or
// whose bundle.json is malformed is refused, naming the file and field.
func TestLoadBundleRefuses(t *testing.T) {
	state := t.TempDir()
	if _, err := cluster.EnsurePKI(filepath.Join(state, "pki"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := deploy.LoadKeys(state); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(state, "kafka.port"), []byte("40123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(t.TempDir(), "b")
	if _, _, err := deploy.WriteBundle(deploy.BundleOptions{State: state, Client: "ws1", Users: []string{"u"}, Out: good}); err != nil {
		t.Fatal(err)
	}
	if _, err := deploy.LoadBundle(good); err != nil {
		t.Fatalf("the good bundle: %v", err)
	}
	if _, _, err := deploy.WriteBundle(deploy.BundleOptions{State: state, Client: "ws1", Users: []string{"u"}, Out: filepath.Join(t.TempDir(), "c")}); !errors.Is(err, cluster.ErrClientExists) {
		t.Errorf("a second ws1: %v", err)
	}
	if _, _, err := deploy.WriteBundle(deploy.BundleOptions{State: state, Client: "replay", Users: []string{"u"}, Out: filepath.Join(t.TempDir(), "d")}); err == nil || !strings.Contains(err.Error(), "role") {
		t.Errorf("a client named like a role: %v", err)
	}
	if _, _, err := deploy.WriteBundle(deploy.BundleOptions{State: state, Client: "ws9", Users: []string{"u"}, Out: good}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("into a bundle folder: %v", err)
	}
	copyOf := func(edit func(dir string)) string {
		dir := filepath.Join(t.TempDir(), "b")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, n := range deploy.BundleFiles() {
			b, _ := os.ReadFile(filepath.Join(good, n))
			os.WriteFile(filepath.Join(dir, n), b, 0o600)
		}
		edit(dir)
		return dir
	}
	conf := func(dir string, old, new string) {
		p := filepath.Join(dir, deploy.BundleConfig)
		b, _ := os.ReadFile(p)
		os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o600)
	}
	for _, tc := range []struct {
		name string
		dir  string
		want string
	}{
		{"a key others may read", copyOf(func(d string) { os.Chmod(filepath.Join(d, deploy.BundleKey), 0o644) }), "client.key (mode 0644)"},
		{"a folder others may read", copyOf(func(d string) { os.Chmod(d, 0o755) }), "mode 0755"},
		{"no password", copyOf(func(d string) { os.Remove(filepath.Join(d, deploy.BundlePassword)) }), "sasl.password"},
		{"an unknown member", copyOf(func(d string) { conf(d, `"version": 1,`, `"version": 1, "admin": true,`) }), `unknown field "admin"`},
		{"a bad broker", copyOf(func(d string) { conf(d, `127.0.0.1:40123`, `127.0.0.1`) }), `brokers[0] "127.0.0.1": want host:port`},
		{"another client named", copyOf(func(d string) { conf(d, `"client": "ws1"`, `"client": "ws2"`) }), `client "ws2" bound to [u], but client.crt is "ws1"`},
		{"a type error", copyOf(func(d string) { conf(d, `"version": 1`, `"version": "1"`) }), `line 2: member "version"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := deploy.LoadBundle(tc.dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %q", err, tc.want)
			}
		})
	}
}
