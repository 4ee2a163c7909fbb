package live_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/replay"
)

// replayAsync runs a paced replay in the background.
func (e *env) replayAsync(ss []replay.Session, interval time.Duration) (wait func() replay.Result) {
	var res replay.Result
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		res = e.replay(ss, replay.Config{Interval: interval, Wait: 90 * time.Second})
	}()
	return func() replay.Result { wg.Wait(); return res }
}

// waitDecided waits until the store holds at least n decisions in all,
// failing only when the count stops growing for 30 s.
func (e *env) waitDecided(users []replay.UserSessions, n int64) {
	e.t.Helper()
	testutil.EventuallyProgress(e.t, 30*time.Second, func() (bool, int64) {
		var total int64
		for _, u := range users {
			_, nd, err := e.st.Counts(context.Background(), u.User)
			if err == nil {
				total += nd
			}
		}
		return total >= n, total
	}, fmt.Sprintf("waiting for %d decisions", n))
}

func total(ss []replay.Session) int64 {
	var n int64
	for _, s := range ss {
		n += int64(len(s.Vectors))
	}
	return n
}

func TestServiceKilledMidReplay(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts the service as a child process")
	}
	e := startEnv(t, live.Config{})
	us := synthUsers(t, 3, 2, 80)
	ss := plan(t, e, us, 1)
	spawn := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "MOUSEAUTH_LIVE_CHILD="+e.cl.Dir, "MOUSEAUTH_LIVE_BROKERS="+e.cl.Brokers[0])
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	first := spawn()
	wait := e.replayAsync(ss, 4*time.Millisecond)
	e.waitDecided(us, total(ss)/3)
	// SIGKILL: no drain, no final commit, no leaving the group.
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	t.Logf("killed the service after at least %d of %d decisions", total(ss)/3, total(ss))
	second := spawn()
	defer func() {
		_ = second.Process.Signal(os.Interrupt)
		_ = second.Wait()
	}()
	res := wait()
	t.Logf("sent %d decided %d duplicates received %d; latency p99 %.0f ms max %.0f ms",
		res.Sent, res.Decided, res.Duplicates, res.Latency.P99, res.Latency.Max)
	e.checkExactlyOnce(ss, res)
	if res.ImpostorAlerts != res.ImpostorSessions {
		t.Errorf("impostor alerts %d of %d after the restart", res.ImpostorAlerts, res.ImpostorSessions)
	}
}

func TestBrokerRestartMidReplay(t *testing.T) {
	t.Parallel()
	e := startEnv(t, live.Config{})
	us := synthUsers(t, 3, 2, 80)
	ss := plan(t, e, us, 1)
	e.startService()
	wait := e.replayAsync(ss, 4*time.Millisecond)
	e.waitDecided(us, total(ss)/3)
	if err := e.cl.Restart(); err != nil {
		t.Fatal(err)
	}
	t.Logf("restarted the broker at %s from its data directory", e.cl.Brokers[0])
	res := wait()
	t.Logf("sent %d decided %d duplicates %d; latency p99 %.0f ms max %.0f ms", res.Sent, res.Decided, res.Duplicates, res.Latency.P99, res.Latency.Max)
	e.checkExactlyOnce(ss, res)
}
