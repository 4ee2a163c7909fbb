package bench

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/deploy"
	"github.com/mouseauth/mouseauth/live/store/embedded"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/replay"
)

// envFakeServe makes the test binary a stand-in for `mouseauth live serve
// --ready-file PATH` (fakeServe).
const envFakeServe = "MOUSEAUTH_BENCH_FAKE_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(envFakeServe) == "1" {
		os.Exit(fakeServe(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeServe answers /healthz with status ok, writes the ready file as
// `live serve --ready-file` does, and runs until SIGTERM.
func fakeServe(args []string) int {
	var ready string
	for i, a := range args {
		if a == "--ready-file" && i+1 < len(args) {
			ready = args[i+1]
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil || ready == "" {
		return 2
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(live.HealthReport{Status: "ok", Partitions: []string{}})
	}))
	if err := deploy.WriteReadyFile(ready, deploy.Ready{PID: os.Getpid(), Metrics: ln.Addr().String()}); err != nil {
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	return 0
}

// TestRunScaleOutWaitsForItsLoad: when a phase fails (here the added
// instance cannot be started), RunScaleOut returns only after the load it
// started has stopped. The load stands in for replay.Run: it ends when its
// context is cancelled, and notes whether RunScaleOut returned first.
func TestRunScaleOutWaitsForItsLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cl, err := cluster.Start(ctx, cluster.Options{Dir: t.TempDir(), Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	st, err := embedded.Open(ctx, filepath.Join(cl.Dir, "mouseauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := live.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	p := Pipeline{Brokers: cl.Brokers, Client: cl.ReplayTLS, ClientSASL: cl.ReplaySASL, Scorer: cl.ScorerTLS, ScorerSASL: cl.ScorerSASL,
		Topics: topics.Default(), Profiles: st, Credentials: st, Keys: keys}

	returned, exited := make(chan struct{}), make(chan struct{})
	var loadStarted, loadOutlived atomic.Bool
	var spawned []string
	o := ScaleOutOptions{Users: 2, Rate: 20, Phase: 50 * time.Millisecond, Start: 1, Add: 1, Seed: 1, Trees: 3, Wait: time.Second,
		Logs: t.TempDir(),
		Spawn: func(name, readyFile string) (*exec.Cmd, error) {
			spawned = append(spawned, name)
			if name != "s1" {
				return nil, errors.New("no room for " + name)
			}
			cmd := exec.Command(os.Args[0], "--ready-file", readyFile)
			cmd.Env = append(os.Environ(), envFakeServe+"=1")
			return cmd, nil
		},
		replay: func(ctx context.Context, _ replay.Config, _ []replay.Session) (replay.Result, error) {
			defer close(exited)
			loadStarted.Store(true)
			select {
			case <-ctx.Done():
			case <-returned:
				loadOutlived.Store(true)
			}
			return replay.Result{}, ctx.Err()
		}}
	_, err = RunScaleOut(ctx, p, o)
	close(returned)
	if err == nil || !strings.Contains(err.Error(), "no room for s2") {
		t.Errorf("error %v, want the failed start of s2", err)
	}
	if !loadStarted.Load() {
		t.Fatalf("the load never started (instances spawned: %v)", spawned)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the load still runs 10 s after RunScaleOut returned")
	}
	if loadOutlived.Load() {
		t.Error("RunScaleOut returned while the load it started still ran")
	}
}
