package pki

import (
	"context"
	"crypto/tls"
	"sync"
	"time"
)

// CheckResult says what a connection negotiated, or why it failed.
type CheckResult struct {
	Target      string   `json:"target"` // kafka, mysql, cassandra
	Addr        string   `json:"addr"`
	OK          bool     `json:"ok"`
	TLSVersion  string   `json:"tls_version,omitempty"`
	Cipher      string   `json:"cipher,omitempty"`
	PeerSubject string   `json:"peer_subject,omitempty"`
	Chain       []string `json:"verified_chain,omitempty"`
	Explanation string   `json:"explanation,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// recorder captures the connection state seen during a handshake.
type recorder struct {
	mu sync.Mutex
	cs *tls.ConnectionState
}

func (r *recorder) wrap(cfg *tls.Config) *tls.Config {
	c := cfg.Clone()
	prev := c.VerifyConnection
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		r.mu.Lock()
		r.cs = &cs
		r.mu.Unlock()
		if prev != nil {
			return prev(cs)
		}
		return nil
	}
	return c
}

func (r *recorder) fill(res *CheckResult, err error) CheckResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cs := r.cs; cs != nil {
		res.TLSVersion = tls.VersionName(cs.Version)
		res.Cipher = tls.CipherSuiteName(cs.CipherSuite)
		if len(cs.PeerCertificates) > 0 {
			res.PeerSubject = RFC2253(cs.PeerCertificates[0])
		}
		if len(cs.VerifiedChains) > 0 {
			for _, c := range cs.VerifiedChains[0] {
				res.Chain = append(res.Chain, RFC2253(c))
			}
		}
	}
	if err != nil {
		res.Error = err.Error()
		res.Explanation = Explain(err)
		return *res
	}
	res.OK = true
	return *res
}

// Probe opens a connection to a service with a TLS configuration and makes
// a first request; it returns why that failed. The probes live with the
// code that speaks each protocol (live/topics.Probe for Kafka,
// live/store/mysql.Probe, live/store/cassandra.Probe), so pki itself imports
// no Kafka client and no database driver.
type Probe func(ctx context.Context, cfg *tls.Config) error

// Check runs probe against addr, recording what the TLS handshake
// negotiated and explaining a failure.
func Check(ctx context.Context, target, addr string, cfg *tls.Config, probe Probe) CheckResult {
	var rec recorder
	res := CheckResult{Target: target, Addr: addr}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return rec.fill(&res, probe(ctx, rec.wrap(cfg)))
}
