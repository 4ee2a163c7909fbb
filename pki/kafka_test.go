package pki

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mouseauth/mouseauth/live/topics"
)

func startBroker(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(cfg), kfake.SeedTopics(1, topics.Logins))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

func runMatrix(t *testing.T, cases []matrixCase, check func(matrixCase) CheckResult) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := check(tc)
			t.Logf("%s: ok=%v tls=%s cipher=%s peer=%q explanation=%q (raw: %s)", tc.name, res.OK, res.TLSVersion, res.Cipher, res.PeerSubject, res.Explanation, res.Error)
			if res.OK != tc.wantOK {
				t.Fatalf("ok = %v, want %v (error %q)", res.OK, tc.wantOK, res.Error)
			}
			if tc.wantOK {
				if res.TLSVersion == "" || res.PeerSubject == "" || len(res.Chain) != 2 {
					t.Errorf("positive case reports tls=%q peer=%q chain=%v", res.TLSVersion, res.PeerSubject, res.Chain)
				}
				return
			}
			for _, w := range tc.explain {
				if strings.Contains(res.Explanation, w) {
					return
				}
			}
			t.Errorf("explanation %q does not contain any of %q", res.Explanation, tc.explain)
		})
	}
}

var (
	explNoCert   = []string{"requires a client certificate", "closed the connection during the handshake"}
	explOtherCA  = []string{"does not trust our client certificate", "rejected our client certificate", "closed the connection during the handshake"}
	explExpired  = []string{"expired", "rejected our client certificate", "closed the connection during the handshake"}
	explName     = []string{"server name does not match"}
	explServerCA = []string{"not issued by our CA"}
)

func TestKafkaRejectionMatrix(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	good := startBroker(t, f.server(t, "server"))
	wrongName := startBroker(t, f.server(t, "wrongname"))
	foreign := startBroker(t, f.otherServer(t))
	runMatrix(t, []matrixCase{
		{name: "positive", cfg: f.client(t, "replay"), addr: good, wantOK: true},
		{name: "no client certificate", cfg: f.clientNoCert(t), addr: good, explain: explNoCert},
		{name: "client certificate from another CA", cfg: f.clientOtherCA(t), addr: good, explain: explOtherCA},
		{name: "expired client certificate", cfg: f.client(t, "expired"), addr: good, explain: explExpired},
		{name: "server name does not match", cfg: f.client(t, "replay"), addr: wrongName, explain: explName},
		{name: "server certificate from another CA", cfg: f.client(t, "replay"), addr: foreign, explain: explServerCA},
	}, func(tc matrixCase) CheckResult {
		return Check(context.Background(), "kafka", tc.addr, tc.cfg, topics.Probe(tc.addr, nil))
	})
}
