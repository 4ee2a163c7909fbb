package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/bench"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/testutil"
)

func TestNewCmdBenchScaleOut(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ args, wantErr string }{
		{"--users 0", "--users must be at least 1"},
		{"--rate 0", "--rate positive"},
		{"--phase 10ms", "--phase must be at least 1s"},
		{"--instances 0", "--instances must be at least 1"},
		{"--session-timeout 0s", "--session-timeout"},
		{"--topic-per-user", "not supported"},
		{"--brokers k:9093", "--brokers needs --pki-dir"},
	} {
		ios, _, _, _ := cli.TestIO()
		cmd := newCmdBenchScaleOut(&cli.Factory{IO: ios, Now: time.Now}, func(context.Context, *BenchScaleOutOptions) error { return nil })
		wantUsageError(t, execArgs(ios, cmd, tt.args), tt.wantErr)
	}
}

// TestBenchScaleOut runs the scale-out for real on a small scale: three
// `mouseauth live serve` processes (this test binary, re-executed) in one
// group on the embedded broker and the shared embedded store; one joins,
// two more join, the first is killed with SIGKILL; every vector sent is
// stored and decided, and every phase decides. The load is small (12
// users at 48 vectors/s in all, 4 a second each; it was 40 users at 160/s):
// what is checked is the group's membership, its rebalances and that
// nothing is lost across them, which do not depend on the rate, and the
// children run under the race detector, where every vector costs CPU.
func TestBenchScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three service processes")
	}
	t.Parallel()
	// The children are this test binary run as mouseauth
	// (MOUSEAUTH_TEST_MAIN=1), through env(1), which sets their environment
	// and not this process's (so the test runs beside the others).
	envProg, err := exec.LookPath("env")
	if err != nil {
		testutil.SkipOrFail(t, "no env(1) to start the children with: "+err.Error())
	}
	ios, _, out, errOut := cli.TestIO()
	var res bench.ScaleOutResult
	opts := &BenchScaleOutOptions{IO: ios, Now: time.Now, Users: 12, Rate: 48, Phase: 6 * time.Second, Start: 1, Add: 2, Kill: true,
		SessionTimeout: 2 * time.Second, Group: "scaleout-test", Seed: 1, Trees: 10, Wait: 2 * time.Minute, Output: "table",
		Command: func() (string, []string, error) {
			return envProg, []string{"MOUSEAUTH_TEST_MAIN=1", "MOUSEAUTH_MYSQL_DSN=", os.Args[0]}, nil
		},
		Result: func(_ *cli.Table, r bench.ScaleOutResult) { res = r }}
	opts.Deploy = DeployOptions{State: t.TempDir(), TLSName: "replay", Partitions: 4, Replication: "SimpleStrategy:1", Keyspace: "mouseauth",
		Getenv: func(string) string { return "" }}
	if err := benchScaleOutRun(context.Background(), opts); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, lastBytes(errOut.String(), 3000))
	}
	t.Logf("\n%s%s", out, lastBytes(errOut.String(), 600))
	x := res.Result
	if x.Sent == 0 || x.Decided != x.Sent || res.Stored.Vectors != x.Sent || res.Stored.Decisions != x.Sent || res.Lost != 0 {
		t.Fatalf("sent %d decided %d stored %d vectors and %d decisions, lost %d", x.Sent, x.Decided, res.Stored.Vectors, res.Stored.Decisions, res.Lost)
	}
	if len(res.Phases) != 3 {
		t.Fatalf("%d phases", len(res.Phases))
	}
	for i, want := range []int{1, 3, 2} {
		ph := res.Phases[i]
		sum := 0
		for _, n := range ph.Partitions {
			if n < 0 {
				t.Errorf("phase %q: an instance did not answer /healthz", ph.Name)
			}
			sum += n
		}
		if ph.Instances != want || sum != 4 || ph.Decided == 0 {
			t.Errorf("phase %q: %d instances holding %v feature partitions, %d decided; want %d instances holding all 4", ph.Name, ph.Instances, ph.Partitions, ph.Decided, want)
		}
		if i > 0 && ph.Generation <= res.Phases[i-1].Generation {
			t.Errorf("phase %q: generation %d after %d: no rebalance", ph.Name, ph.Generation, res.Phases[i-1].Generation)
		}
	}
	if !strings.Contains(errOut.String(), "killed s1 (SIGKILL)") {
		t.Errorf("no kill reported:\n%s", lastBytes(errOut.String(), 2000))
	}
}
