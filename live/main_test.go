package live_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/deploy"
	"github.com/mouseauth/mouseauth/live/store/embedded"
	"github.com/mouseauth/mouseauth/pki"
)

// TestMain doubles as the scoring service for the kill test: with
// MOUSEAUTH_LIVE_CHILD set, the test binary runs a service in its own
// process, which the test can SIGKILL.
func TestMain(m *testing.M) {
	if dir := os.Getenv("MOUSEAUTH_LIVE_CHILD"); dir != "" {
		if err := child(dir, os.Getenv("MOUSEAUTH_LIVE_BROKERS")); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func child(dir, brokers string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	tlsCfg, err := pki.ClientTLSFromDir(filepath.Join(dir, "pki"), cluster.CertScorer, "")
	if err != nil {
		return err
	}
	m, err := cluster.Credentials(dir, cluster.UserScorer)
	if err != nil {
		return err
	}
	st, err := embedded.Open(ctx, filepath.Join(dir, "mouseauth.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	keys, err := deploy.LoadKeys(dir)
	if err != nil {
		return err
	}
	svc, err := live.New(live.Config{Brokers: []string{brokers}, TLS: tlsCfg, SASL: m, Profiles: st, Credentials: st, Keys: keys,
		SessionTimeout: 2 * time.Second, Retrain: live.RetrainPolicy{Every: -1}})
	if err != nil {
		return err
	}
	return svc.Run(ctx)
}
