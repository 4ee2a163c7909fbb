package live_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/embedded"
	"github.com/mouseauth/mouseauth/live/topics"
)

// unreachable is a service whose broker refuses connections: its loop
// runs (and keeps retrying) without a cluster, enough for the lifecycle.
func unreachable(t *testing.T, cfg live.Config) *live.Service {
	t.Helper()
	st, err := embedded.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := live.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Brokers, cfg.TLS, cfg.Profiles, cfg.Credentials, cfg.Keys = []string{"127.0.0.1:1"}, &tls.Config{RootCAs: x509.NewCertPool()}, st, st, keys
	svc, err := live.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func get(t *testing.T, addr, path string) (int, string, error) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// healthz reads /healthz on addr.
func healthz(t *testing.T, addr string) (int, live.HealthReport) {
	t.Helper()
	code, body, err := get(t, addr, "/healthz")
	if err != nil {
		t.Fatalf("/healthz: %v", err)
	}
	var r live.HealthReport
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("/healthz body %q: %v", body, err)
	}
	if (code == http.StatusOK) != (r.Status == "ok") || (code != http.StatusOK && code != http.StatusServiceUnavailable) {
		t.Fatalf("/healthz: status %d with body %s", code, body)
	}
	return code, r
}

// TestServeLifecycle: /healthz answers 503 until the service joined its
// group, Ready closes then and /healthz says ok with the assigned
// partitions, and cancelling shuts the HTTP server down gracefully with a
// nil error.
func TestServeLifecycle(t *testing.T) {
	t.Parallel()
	e := startEnv(t, live.Config{HealthInterval: 50 * time.Millisecond})
	svc, err := live.New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r := svc.HealthReport(); r.Status == "ok" {
		t.Fatal("healthy before running")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, ln) }()
	select {
	case <-svc.Ready():
	case err := <-done:
		t.Fatalf("Serve returned before ready: %v", err)
	}
	var rep live.HealthReport
	testutil.Eventually(t, time.Minute, func() bool { _, rep = healthz(t, addr); return rep.Status == "ok" },
		"waiting for /healthz to say ok after Ready")
	if rep.Generation < 1 || len(rep.Partitions) != 8 || rep.Group != topics.DefaultGroup { // 4 partitions of logins and of features
		t.Errorf("/healthz after Ready: %+v", rep)
	}
	t.Logf("/healthz: generation %d, member %s, partitions %v", rep.Generation, rep.Member, rep.Partitions)
	if code, body, err := get(t, addr, "/metrics"); err != nil || code != 200 || !strings.Contains(body, "mouseauth_vectors_total") ||
		!strings.Contains(body, "mouseauth_partitions_assigned 8") {
		t.Fatalf("/metrics: %d %v\n%.300s", code, err, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}
	if _, _, err := get(t, addr, "/healthz"); err == nil {
		t.Error("/healthz still answers after Serve returned")
	}
	if r := svc.HealthReport(); r.Status != "unhealthy" || len(r.Reasons) != 1 || r.Reasons[0].Check != live.CheckConsumer ||
		r.Reasons[0].Error != "not consuming" {
		t.Errorf("health after stop: %+v", r)
	}
}

// TestHealthzBeforeJoining: a service whose broker refuses connections
// serves /healthz with 503 and says why: not in the group, broker down.
func TestHealthzBeforeJoining(t *testing.T) {
	t.Parallel()
	svc := unreachable(t, live.Config{HealthInterval: 20 * time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, ln) }()
	var rep live.HealthReport
	testutil.Eventually(t, time.Minute, func() bool {
		_, rep = healthz(t, ln.Addr().String())
		return hasReason(rep, live.CheckBroker) && hasReason(rep, live.CheckConsumer)
	}, "waiting for /healthz to name the broker and the consumer")
	b, _ := json.MarshalIndent(rep, "", "  ")
	t.Logf("/healthz with the broker unreachable:\n%s", b)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}
}

func hasReason(r live.HealthReport, check string) bool {
	for _, x := range r.Reasons {
		if x.Check == check {
			return true
		}
	}
	return false
}

// failingListener accepts nothing: its Accept fails for good.
type failingListener struct{ net.Listener }

func (l failingListener) Accept() (net.Conn, error) {
	return nil, errors.New("accept: too many open files")
}

// TestServeErrorStopsTheService: an HTTP server that cannot serve ends
// Serve with its error instead of being ignored.
func TestServeErrorStopsTheService(t *testing.T) {
	t.Parallel()
	svc := unreachable(t, live.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Serve(context.Background(), failingListener{ln}) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "too many open files") {
			t.Fatalf("Serve: %v, want the serving error", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Serve went on with a broken HTTP server")
	}
}

type noUsers struct{ store.Profiles }

var errNoUsers = errors.New("model users: connection refused")

func (noUsers) ModelUsers(context.Context) ([]string, error) { return nil, errNoUsers }

// TestStartReportsRunError: Start returns Run's error when the service
// stops before it is ready, instead of waiting for a readiness that never
// comes.
func TestStartReportsRunError(t *testing.T) {
	t.Parallel()
	st, err := embedded.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	names := topics.Default()
	names.PerUser = true // the service asks the store which users' topics to create
	keys, err := live.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := live.New(live.Config{Brokers: []string{"127.0.0.1:1"}, TLS: &tls.Config{RootCAs: x509.NewCertPool()}, Topics: names, Profiles: noUsers{st}, Credentials: st, Keys: keys,
		CreateUserTopics: func(context.Context, []string) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Start(context.Background(), nil); !errors.Is(err, errNoUsers) {
		t.Fatalf("Start: %v, want the store's error", err)
	}
}
