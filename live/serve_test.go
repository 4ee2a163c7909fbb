package live_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/embedded"
	"github.com/mouseauth/mouseauth/live/topics"
)

// unreachable is a service whose broker refuses connections: its loop
// runs (and keeps retrying) without a cluster, enough for the lifecycle.
func unreachable(t *testing.T) *live.Service {
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
	svc, err := live.New(live.Config{Brokers: []string{"127.0.0.1:1"}, TLS: &tls.Config{}, Profiles: st, Credentials: st, Keys: keys})
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

// TestServeLifecycle: Ready closes once the loop runs, /healthz answers,
// and cancelling shuts the HTTP server down gracefully with a nil error.
func TestServeLifecycle(t *testing.T) {
	svc := unreachable(t)
	if err := svc.Health(); err == nil {
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
	if code, body, err := get(t, addr, "/healthz"); err != nil || code != 200 || body != "ok\n" {
		t.Fatalf("/healthz: %d %q %v", code, body, err)
	}
	if code, body, err := get(t, addr, "/metrics"); err != nil || code != 200 || !strings.Contains(body, "mouseauth_vectors_total") {
		t.Fatalf("/metrics: %d %v", code, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}
	if _, _, err := get(t, addr, "/healthz"); err == nil {
		t.Error("/healthz still answers after Serve returned")
	}
	if err := svc.Health(); err == nil || err.Error() != "not consuming" {
		t.Errorf("health after stop: %v", err)
	}
}

// failingListener accepts nothing: its Accept fails for good.
type failingListener struct{ net.Listener }

func (l failingListener) Accept() (net.Conn, error) {
	return nil, errors.New("accept: too many open files")
}

// TestServeErrorStopsTheService: an HTTP server that cannot serve ends
// Serve with its error instead of being ignored.
func TestServeErrorStopsTheService(t *testing.T) {
	svc := unreachable(t)
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
	st, err := embedded.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	names := topics.Default()
	names.PerUser = true // the service asks the store which users' topics to read
	keys, err := live.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := live.New(live.Config{Brokers: []string{"127.0.0.1:1"}, TLS: &tls.Config{}, Topics: names, Profiles: noUsers{st}, Credentials: st, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Start(context.Background(), nil); !errors.Is(err, errNoUsers) {
		t.Fatalf("Start: %v, want the store's error", err)
	}
}
