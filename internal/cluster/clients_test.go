package cluster_test

import (
	"context"
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/pki"
)

// TestClientIdentityLifecycle: a client identity registered while the
// broker runs is admitted (it authenticates, and its decision topic
// exists); deleting its certificate revokes it (it no longer
// authenticates); the private key is never kept in the state folder; names
// of roles, names taken and a state without a CA are refused.
func TestClientIdentityLifecycle(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cl, log := start(t, cluster.Options{Dir: dir, ClientsCheck: 50 * time.Millisecond})
	r, err := cluster.RegisterClient(dir, "ws1", []string{"alice", "bob"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pki", "issued", "ws1.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the state folder keeps the client's key: %v", err)
	}
	if b, err := pki.BindingOf(r.Issued.Cert); err != nil || strings.Join(b.Users, ",") != "alice,bob" {
		t.Errorf("binding %v %v", b, err)
	}
	cfg, err := pki.ClientTLS(pki.Config{CA: mustCA(t, r.CA), Certificate: tls.Certificate{Certificate: [][]byte{r.Issued.Cert.Raw}, PrivateKey: r.Issued.Key}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := topics.SASL(cluster.Mechanism, "ws1", r.Password)
	if err != nil {
		t.Fatal(err)
	}
	describe := func() error {
		tr := topics.Transport(cfg, m)
		defer tr.CloseIdleConnections()
		c := &kafka.Client{Addr: kafka.TCP(cl.Brokers...), Transport: tr, Timeout: 5 * time.Second}
		md, err := c.Metadata(context.Background(), &kafka.MetadataRequest{Topics: []string{topics.Default().DecisionsFor("ws1")}})
		if err == nil && (len(md.Topics) != 1 || md.Topics[0].Error != nil) {
			err = errors.New("no decision topic")
		}
		return err
	}
	testutil.Eventually(t, 30*time.Second, func() bool { return describe() == nil }, "the running broker admits ws1")
	// The decision topic is made before the admission is logged: wait for
	// the line rather than read the log at once.
	testutil.Eventually(t, 30*time.Second, func() bool { return strings.Contains(log.String(), "client identities admitted") },
		"the admission is logged")
	if err := os.Remove(filepath.Join(dir, "pki", "issued", "ws1.crt")); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, func() bool { return describe() != nil }, "the revoked ws1 is refused")
	t.Logf("revoked: %v", describe())

	for _, tc := range []struct {
		name, dir, client string
		want              string
	}{
		{"a role's name", dir, "operator", "the name of a role"},
		{"the broker's name", dir, "broker", "the name of a role"},
		{"no CA", t.TempDir(), "ws2", "has no CA"},
		{"not a certificate name", dir, "../ws", "name"},
	} {
		if _, err := cluster.RegisterClient(tc.dir, tc.client, []string{"u"}, 0, time.Now()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := cluster.RegisterClient(dir, "ws3", []string{"u"}, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.RegisterClient(dir, "ws3", []string{"u"}, 0, time.Now()); !errors.Is(err, cluster.ErrClientExists) {
		t.Errorf("ws3 twice: %v", err)
	}
}
