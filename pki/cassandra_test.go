package pki

import (
	"context"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/internal/cqltest"
	"github.com/mouseauth/mouseauth/live/store/cassandra"
)

func TestCassandraRejectionMatrix(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	good := cqltest.Start(t, f.server(t, "server"))
	wrongName := cqltest.Start(t, f.server(t, "wrongname"))
	foreign := cqltest.Start(t, f.otherServer(t))
	runMatrix(t, []matrixCase{
		{name: "positive", cfg: f.client(t, "scorer"), addr: good.Addr, wantOK: true},
		{name: "no client certificate", cfg: f.clientNoCert(t), addr: good.Addr, explain: explNoCert},
		{name: "client certificate from another CA", cfg: f.clientOtherCA(t), addr: good.Addr, explain: explOtherCA},
		{name: "expired client certificate", cfg: f.client(t, "expired"), addr: good.Addr, explain: explExpired},
		{name: "server name does not match", cfg: f.client(t, "scorer"), addr: wrongName.Addr, explain: explName},
		{name: "server certificate from another CA", cfg: f.client(t, "scorer"), addr: foreign.Addr, explain: explServerCA},
	}, func(tc matrixCase) CheckResult {
		return Check(context.Background(), "cassandra", tc.addr, tc.cfg, cassandra.Probe(tc.addr))
	})

	var sawLocal bool
	for _, q := range good.Queries() {
		sawLocal = sawLocal || strings.Contains(q, "system.local")
	}
	if !sawLocal {
		t.Errorf("the stub never answered system.local; queries: %q", good.Queries())
	}
	if n := len(good.HandshakeErrors()); n < 3 {
		t.Errorf("the stub saw %d failed handshakes, want at least 3 (no cert, other CA, expired)", n)
	}
}
