package deploy

import (
	"context"
	"errors"
	"fmt"
	"github.com/segmentio/kafka-go/sasl"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/pki"
)

func TestSASLOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		o        SASLOptions
		external bool
		bad      string
	}{
		{o: SASLOptions{}, external: true},
		{o: SASLOptions{User: "scorer", Password: "pw", Mechanism: topics.SCRAMSHA256}, external: true},
		{o: SASLOptions{User: "scorer"}, external: true, bad: "without a password"},
		{o: SASLOptions{Password: "pw"}, external: true, bad: "without a SASL user"},
		{o: SASLOptions{User: "u", Password: "pw", Mechanism: "PLAIN"}, external: true, bad: `"PLAIN"`},
		{o: SASLOptions{}},
		{o: SASLOptions{User: "admin"}},
		{o: SASLOptions{User: "replay", Password: "pw"}, bad: "in the state folder"},
		{o: SASLOptions{User: "replay", Mechanism: topics.SCRAMSHA256}, bad: "SCRAM-SHA-512 only"},
	} {
		err := tc.o.Validate(tc.external)
		if tc.bad == "" && err != nil || tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)) {
			t.Errorf("%+v external=%v: %v, want %q", tc.o, tc.external, err, tc.bad)
		}
		if err != nil && tc.o.Password != "" && strings.Contains(err.Error(), tc.o.Password) {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

// TestOpenEmbeddedSASL: each program gets the SASL identity of the
// certificate it names, and the scorer's for an in-process service.
func TestOpenEmbeddedSASL(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	ctx := context.Background()
	e, err := Open(ctx, Options{State: state, TLSName: cluster.CertReplay, Partitions: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.SASL == nil || e.ScorerSASL == nil || e.SASL == e.ScorerSASL || serviceSASL(t, e) != e.ScorerSASL {
		t.Errorf("replay's SASL %v, scorer's %v", e.SASL, e.ScorerSASL)
	}
	if !strings.Contains(strings.Join(e.Where, "\n"), "SASL/SCRAM-SHA-512") {
		t.Errorf("Where does not say the broker authenticates:\n%s", strings.Join(e.Where, "\n"))
	}
	// Another Open of the same state while this one runs: the lock.
	if _, err := Open(ctx, Options{State: state, TLSName: cluster.CertScorer, Partitions: 1}, nil); !errors.Is(err, cluster.ErrStateLocked) {
		t.Errorf("second Open of the state: %v, want ErrStateLocked", err)
	}
	e.Close()
	// A client certificate that is not a broker user needs --sasl-user.
	if _, err := pki.IssueInDir(filepath.Join(state, "pki"), pki.IssueRequest{Name: "ops", Role: pki.RoleClient, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, Options{State: state, TLSName: "ops", Partitions: 1}, nil); err == nil || !strings.Contains(err.Error(), "--sasl-user") {
		t.Errorf("Open with a certificate that is no SASL user: %v", err)
	}
	e, err = Open(ctx, Options{State: state, TLSName: "ops", Partitions: 1, SASL: SASLOptions{User: cluster.UserAdmin}}, nil)
	if err != nil {
		t.Fatalf("Open with --sasl-user admin: %v", err)
	}
	e.Close()
}

// TestOpenStoresMakesStatePrivate: commands that open only the stores (live
// enroll, status) make a state folder pre-created 0755 private too, and
// create the database 0600.
func TestOpenStoresMakesStatePrivate(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(state, 0o755)
	if err := os.WriteFile(filepath.Join(state, "notes"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(state, "notes"), 0o644) // loose whatever the umask (a parallel test's cluster holds a private one)
	e, err := OpenStores(context.Background(), Options{State: state, TLSName: cluster.CertScorer})
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		err := filepath.Walk(state, func(p string, info os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			if info.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s: %s has mode %04o", when, p, info.Mode().Perm())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check("open")
	e.Close()
	check("closed")
	if _, err := os.Stat(filepath.Join(state, "mouseauth.db")); err != nil {
		t.Fatalf("no database: %v", err)
	}
}

func TestUsesState(t *testing.T) {
	t.Parallel()
	for want, o := range map[bool]Options{
		true:  {State: "s"},
		false: {State: "s", Brokers: []string{"k:9093"}, TLSDir: "pki", Stores: StoreOptions{DSN: "u@tcp(db)/m", Profiles: "mysql"}},
	} {
		if got := usesState(o); got != want {
			t.Errorf("%+v: usesState %v", o, got)
		}
	}
	if usesState(Options{}) {
		t.Error("no state folder is used when none is named")
	}
}

func TestExplainConnect(t *testing.T) {
	t.Parallel()
	eof := fmt.Errorf("topic metadata: %w", io.ErrUnexpectedEOF)
	if err := explainConnect(eof, Options{}, nil); !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "--sasl-user") {
		t.Errorf("no SASL: %v", err)
	}
	m, _ := topics.SASL("", "replay", "pw")
	if err := explainConnect(eof, Options{SASL: SASLOptions{User: "replay"}}, m); !strings.Contains(err.Error(), `refused SASL user "replay"`) {
		t.Errorf("SASL: %v", err)
	}
	other := errors.New("connection refused")
	if err := explainConnect(other, Options{}, nil); err != other {
		t.Errorf("another error was changed: %v", err)
	}
}

func serviceSASL(t *testing.T, e *Env) sasl.Mechanism {
	t.Helper()
	cfg, err := e.ServiceConfig(live.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg.SASL
}
