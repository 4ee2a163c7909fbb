package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"
	"gonum.org/v1/gonum/stat"

	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/deploy"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/replay"
)

// ScaleOutOptions configure [RunScaleOut].
type ScaleOutOptions struct {
	// Spawn returns the command that runs one scoring instance, `mouseauth
	// live serve --ready-file readyFile` in one consumer group on the
	// pipeline's broker and store, with /healthz on the address it writes
	// to readyFile ([deploy.Ready]). name (s1, s2, ...) labels it.
	// RunScaleOut starts, kills and stops it.
	Spawn func(name, readyFile string) (*exec.Cmd, error)
	// Logs is the folder of the instances' logs (NAME.log, their stdout
	// and stderr) and ready files (NAME.ready).
	Logs string
	// Users send Rate vectors per second in all, held over three phases of
	// Phase each: Start instances, then Add more, then one killed with
	// SIGKILL (when Kill).
	Users int
	Rate  float64
	Phase time.Duration
	Start int
	Add   int
	Kill  bool
	Seed  uint64
	Trees int
	Wait  time.Duration // for outstanding decisions after the last send
	Now   func() time.Time
	// Notes receives a line per event (default discard).
	Notes  io.Writer
	Meter  func(total int64, description, unit string) Meter
	Logger func(format string, args ...any) // progress lines (default discard)

	// replay runs the load (replay.Run; tests replace it).
	replay func(context.Context, replay.Config, []replay.Session) (replay.Result, error)
}

// ScaleOutPhase is one phase of the scale-out run.
type ScaleOutPhase struct {
	Name      string
	Instances int
	Seconds   float64
	// Decided counts the first decision of each vector received in the
	// phase; Throughput is that per second.
	Decided    int64
	Throughput float64
	P50, P99   float64 // send to decision received, ms, of the phase's decisions
	// Pause is the longest time any decision partition went without a
	// decision in the phase: after an event, the rebalance as clients see
	// it (a kill -9 adds the session timeout).
	Pause time.Duration
	// Ready is, for added instances, the slowest time from start to its
	// /healthz saying ok (joined, partitions assigned).
	Ready time.Duration
	// Generation and Partitions (per instance) at the end of the phase.
	Generation int32
	Partitions []int
}

// ScaleOutResult is the outcome of [RunScaleOut].
type ScaleOutResult struct {
	Phases       []ScaleOutPhase
	Result       replay.Result // the whole replay
	Stored       Stored
	Lost         int64 // sent but not decided, or not stored
	Duplicates   int64 // decisions received again (redelivered after the kill)
	SessionDrain time.Duration
}

type instance struct {
	name      string
	cmd       *exec.Cmd
	readyFile string
	url       string
	exited    chan struct{}
	waitErr   error
	log       string
	started   time.Time
}

func (o *ScaleOutOptions) logf(format string, args ...any) {
	if o.Logger != nil {
		o.Logger(format, args...)
	}
}

// spawn starts an instance, its output in Logs/NAME.log.
func (o *ScaleOutOptions) spawn(name string) (*instance, error) {
	in := &instance{name: name, readyFile: filepath.Join(o.Logs, name+".ready"), exited: make(chan struct{}),
		log: filepath.Join(o.Logs, name+".log")}
	if err := os.Remove(in.readyFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err // a stale file would claim readiness
	}
	cmd, err := o.Spawn(name, in.readyFile)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(in.log, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = f, f
	in.cmd, in.started = cmd, time.Now()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		in.waitErr = cmd.Wait()
		f.Close()
		close(in.exited)
	}()
	return in, nil
}

// health reads the instance's /healthz.
func (in *instance) health(ctx context.Context) (live.HealthReport, error) {
	var r live.HealthReport
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.url+"/healthz", nil)
	if err != nil {
		return r, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&r)
	return r, err
}

// readyPoll is how often ready looks for the ready file and /healthz.
const readyPoll = 50 * time.Millisecond

// ready waits until the instance has written its ready file and serves
// /healthz with status ok.
func (in *instance) ready(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	wait := func(what string) error {
		select {
		case <-in.exited:
			return fmt.Errorf("instance %s exited before %s: %v (log %s)", in.name, what, in.waitErr, in.log)
		case <-ctx.Done():
			return fmt.Errorf("instance %s: not %s within %v (log %s)", in.name, what, limit, in.log)
		case <-tick.C:
			return nil
		}
	}
	for in.url == "" {
		r, err := deploy.ReadReadyFile(in.readyFile)
		switch {
		case err == nil && r.Metrics == "":
			return fmt.Errorf("instance %s serves no /healthz (ready file %s)", in.name, in.readyFile)
		case err == nil:
			in.url = "http://" + r.Metrics
			continue
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
		if err := wait("serving"); err != nil {
			return err
		}
	}
	for {
		if r, err := in.health(ctx); err == nil && r.Status == "ok" {
			return nil
		}
		if err := wait("healthy"); err != nil {
			return err
		}
	}
}

// stop asks the instance to drain (SIGTERM) and kills it after limit.
func (in *instance) stop(limit time.Duration) error {
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.exited:
		return in.waitErr
	case <-time.After(limit):
		_ = in.cmd.Process.Kill()
		<-in.exited
		return fmt.Errorf("instance %s did not drain within %v; killed", in.name, limit)
	}
}

func (in *instance) kill() {
	_ = in.cmd.Process.Kill()
	<-in.exited
}

// arrival is a decision as the monitor received it.
type arrival struct {
	at, sent    time.Time
	key         string // user/session/seq
	redelivered bool
}

// monitor reads every partition of the decision topic from its end offset
// and keeps the arrival time of each decision.
type monitor struct {
	prefix string // of the run's session ids
	mu     sync.Mutex
	per    map[int][]arrival
}

// decisionOf reads a decision of the run's instances (wire version 2; the
// MAC is the clients' to check) and reports whether it answers a vector.
func decisionOf(p []byte) (arrival, bool) {
	if sd, err := wire.ParseDecision(p); err == nil {
		d := sd.Unverified
		return arrival{sent: d.Sent, key: fmt.Sprintf("%s/%s/%d", d.User, d.Session, d.Seq), redelivered: d.Redelivered}, d.Seq != wire.LoginSeq
	}
	return arrival{}, false
}

func (m *monitor) run(ctx context.Context, p Pipeline, g *errgroup.Group) error {
	m.per = map[int][]arrival{}
	tr := topics.Transport(p.Client, p.ClientSASL)
	defer tr.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(p.Brokers...), Transport: tr, Timeout: 15 * time.Second}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{p.Topics.Decisions}})
	if err != nil {
		return fmt.Errorf("bench: metadata of %s: %w", p.Topics.Decisions, err)
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil || len(md.Topics[0].Partitions) == 0 {
		return fmt.Errorf("bench: no partitions of %s: %+v", p.Topics.Decisions, md.Topics)
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, part := range md.Topics[0].Partitions {
		req.Topics[p.Topics.Decisions] = append(req.Topics[p.Topics.Decisions], kafka.LastOffsetOf(part.ID))
	}
	offs, err := client.ListOffsets(ctx, req)
	if err != nil {
		return fmt.Errorf("bench: end offsets of %s: %w", p.Topics.Decisions, err)
	}
	for _, po := range offs.Topics[p.Topics.Decisions] {
		if po.Error != nil {
			return fmt.Errorf("bench: end offset of %s/%d: %w", p.Topics.Decisions, po.Partition, po.Error)
		}
		g.Go(func() error {
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: p.Brokers, Topic: p.Topics.Decisions, Partition: po.Partition,
				Dialer: topics.Dialer(p.Client, p.ClientSASL), MinBytes: 1, MaxBytes: 4 << 20, MaxWait: topics.FetchMaxWait})
			defer r.Close()
			if err := r.SetOffset(po.LastOffset); err != nil {
				return err
			}
			for {
				msg, err := r.ReadMessage(ctx)
				if err != nil {
					if ctx.Err() != nil {
						return nil
					}
					return fmt.Errorf("bench: reading %s/%d: %w", p.Topics.Decisions, po.Partition, err)
				}
				a, ok := decisionOf(msg.Value)
				if !ok || !strings.Contains(a.key, "/"+m.prefix) {
					continue // a login's answer, or not of this run
				}
				a.at = time.Now()
				m.mu.Lock()
				m.per[po.Partition] = append(m.per[po.Partition], a)
				m.mu.Unlock()
			}
		})
	}
	return nil
}

// phase summarises the arrivals in [from, to).
func (m *monitor) phase(from, to time.Time, seen map[string]bool) (decided int64, p50, p99 float64, pause time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var lat []float64
	parts := make([]int, 0, len(m.per))
	for p := range m.per {
		parts = append(parts, p)
	}
	sort.Ints(parts)
	for _, p := range parts {
		last := from
		for _, a := range m.per[p] {
			if a.at.Before(from) || !a.at.Before(to) {
				continue
			}
			pause = max(pause, a.at.Sub(last))
			last = a.at
			if seen[a.key] {
				continue
			}
			seen[a.key] = true
			decided++
			lat = append(lat, float64(a.at.Sub(a.sent))/float64(time.Millisecond))
		}
		pause = max(pause, to.Sub(last))
	}
	if len(lat) > 0 {
		sort.Float64s(lat)
		p50, p99 = stat.Quantile(0.5, stat.Empirical, lat, nil), stat.Quantile(0.99, stat.Empirical, lat, nil)
	}
	return decided, p50, p99, pause
}

// last is when the last decision arrived.
func (m *monitor) last() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	var t time.Time
	for _, as := range m.per {
		if n := len(as); n > 0 && as[n-1].at.After(t) {
			t = as[n-1].at
		}
	}
	return t
}

func (m *monitor) duplicates() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[string]bool{}
	var dup int64
	for _, as := range m.per {
		for _, a := range as {
			if seen[a.key] {
				dup++
			}
			seen[a.key] = true
		}
	}
	return dup
}

// RunScaleOut runs the scale-out story on p for real: separate `live
// serve` processes in one consumer group. It enrols o.Users load users,
// starts o.Start instances, replays o.Rate vectors per second for three
// phases of o.Phase, adds o.Add instances after the first phase, kills the
// first instance with SIGKILL after the second (when o.Kill), and reports
// per phase the instances, the decisions per second, the latency, the
// longest pause of any partition (the rebalance as clients see it) and
// the partitions per instance; at the end the instances drain and it
// checks that every vector sent was stored and decided.
func RunScaleOut(ctx context.Context, p Pipeline, o ScaleOutOptions) (ScaleOutResult, error) {
	var out ScaleOutResult
	if o.Spawn == nil || o.Users < 1 || o.Rate <= 0 || o.Phase <= 0 || o.Start < 1 || o.Add < 0 {
		return out, errors.New("bench: scale-out needs Spawn, users, a rate, a phase and at least one instance")
	}
	if len(p.Keys.Scorer) == 0 {
		// The instances are other processes: the clients must seal logins
		// to the key those instances load, not to one made up here.
		return out, errors.New("bench: scale-out needs the instances' keys (Pipeline.Keys, from their state folder)")
	}
	po := PipelineOptions{Users: []int{o.Users}, Seed: o.Seed, Trees: o.Trees, Wait: o.Wait, Now: o.Now, Meter: o.Meter}
	po.defaults()
	notes := o.Notes
	if notes == nil {
		notes = io.Discard
	}
	b, err := newHarness(ctx, p, po)
	if err != nil {
		return out, err
	}
	interval := time.Duration(float64(o.Users) / o.Rate * float64(time.Second))
	count := max(3, int(3*o.Phase/interval))
	prefix := fmt.Sprintf("so%d-", po.Now().UnixNano())
	sessions := b.sessions(o.Users, count, func(s replay.Session) string { return prefix + s.LoginAs })
	before, err := b.stored(ctx, o.Users)
	if err != nil {
		return out, err
	}

	// Every instance started is in alive from its start, so that an early
	// return kills it.
	var alive []*instance
	defer func() {
		for _, in := range alive {
			in.kill()
		}
	}()
	start := func(n int) (time.Duration, error) {
		var slowest time.Duration
		started := len(alive)
		for range n {
			in, err := o.spawn(fmt.Sprintf("s%d", len(alive)+1))
			if err != nil {
				return 0, err
			}
			alive = append(alive, in)
		}
		for _, in := range alive[started:] {
			if err := in.ready(ctx, 2*time.Minute); err != nil {
				return 0, err
			}
			slowest = max(slowest, time.Since(in.started))
		}
		return slowest, nil
	}
	snapshot := func(ph *ScaleOutPhase) {
		for _, in := range alive {
			r, err := in.health(ctx)
			if err != nil {
				ph.Partitions = append(ph.Partitions, -1)
				continue
			}
			ph.Generation = max(ph.Generation, r.Generation)
			n := 0
			for _, part := range r.Partitions {
				if strings.HasPrefix(part, p.Topics.Features+"/") {
					n++
				}
			}
			ph.Partitions = append(ph.Partitions, n)
		}
		ph.Instances = len(alive)
	}

	o.logf("starting %d instance(s)", o.Start)
	ready0, err := start(o.Start)
	if err != nil {
		return out, err
	}
	fmt.Fprintf(notes, "%d instance(s) ready in %v\n", o.Start, ready0.Round(time.Millisecond))

	mctx, stopMonitor := context.WithCancel(ctx)
	var mg errgroup.Group
	defer func() { stopMonitor(); _ = mg.Wait() }()
	mon := &monitor{prefix: prefix}
	if err := mon.run(mctx, p, &mg); err != nil {
		return out, err
	}

	// The load runs in the background while the phases go by. Whatever
	// ends RunScaleOut, the deferred stop cancels the load and waits for
	// it: RunScaleOut never returns while load it started still runs.
	run := o.replay
	if run == nil {
		run = replay.Run
	}
	lctx, stopLoad := context.WithCancel(ctx)
	var load errgroup.Group
	defer func() { stopLoad(); _ = load.Wait() }()
	var rd struct {
		res replay.Result
		err error
	}
	done := make(chan struct{})
	m := po.meter(int64(o.Users*count), fmt.Sprintf("%d users, %.0f vectors/s", o.Users, o.Rate), "vectors decided")
	defer m.Done()
	var seenDecided int64
	t0 := time.Now()
	load.Go(func() error {
		defer close(done)
		rd.res, rd.err = run(lctx, replay.Config{Brokers: p.Brokers, TLS: p.Client, SASL: p.ClientSASL, Topics: p.Topics, ScorerKey: p.Keys.Public(), Interval: interval,
			Stagger: interval / time.Duration(o.Users), Wait: o.Wait, Logger: po.Logger,
			Progress: func(_, d int64) { m.Add(int(d - seenDecided)); seenDecided = d }}, sessions)
		return nil
	})
	sleep := func(until time.Time) error {
		select {
		case <-time.After(time.Until(until)):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	phases := []ScaleOutPhase{{Name: fmt.Sprintf("start %d", o.Start)}}
	bounds := []time.Time{t0}
	if err := sleep(t0.Add(o.Phase)); err != nil {
		return out, err
	}
	snapshot(&phases[0])
	bounds = append(bounds, time.Now())
	if o.Add > 0 {
		o.logf("adding %d instance(s)", o.Add)
		ph := ScaleOutPhase{Name: fmt.Sprintf("add %d", o.Add)}
		if ph.Ready, err = start(o.Add); err != nil {
			return out, err
		}
		fmt.Fprintf(notes, "%d instance(s) added, ready in %v\n", o.Add, ph.Ready.Round(time.Millisecond))
		phases = append(phases, ph)
		if err := sleep(bounds[len(bounds)-1].Add(o.Phase)); err != nil {
			return out, err
		}
		snapshot(&phases[len(phases)-1])
		bounds = append(bounds, time.Now())
	}
	if o.Kill && len(alive) > 1 {
		victim := alive[0]
		o.logf("kill -9 %s", victim.name)
		victim.kill()
		alive = alive[1:]
		fmt.Fprintf(notes, "killed %s (SIGKILL)\n", victim.name)
		phases = append(phases, ScaleOutPhase{Name: "kill -9 " + victim.name})
		if err := sleep(bounds[len(bounds)-1].Add(o.Phase)); err != nil {
			return out, err
		}
		// The phase runs until the replay's last decision: the vectors
		// sent meanwhile are decided by the survivors.
	}
	select {
	case <-done:
	case <-ctx.Done():
		return out, ctx.Err()
	}
	m.Done()
	last := &phases[len(phases)-1]
	snapshot(last)
	end := mon.last().Add(time.Millisecond)
	if prev := bounds[len(bounds)-1]; !end.After(prev) {
		end = prev.Add(time.Millisecond)
	}
	bounds = append(bounds, end)
	out.Result = rd.res

	seen := map[string]bool{}
	for i := range phases {
		ph := &phases[i]
		ph.Seconds = bounds[i+1].Sub(bounds[i]).Seconds()
		ph.Decided, ph.P50, ph.P99, ph.Pause = mon.phase(bounds[i], bounds[i+1], seen)
		if ph.Seconds > 0 {
			ph.Throughput = float64(ph.Decided) / ph.Seconds
		}
	}
	out.Phases = phases
	out.Duplicates = mon.duplicates()

	drain := time.Now()
	var stopErrs []error
	for _, in := range alive {
		if err := in.stop(time.Minute); err != nil {
			stopErrs = append(stopErrs, fmt.Errorf("%s: %w", in.name, err))
		}
	}
	alive = nil
	out.SessionDrain = time.Since(drain)
	after, err := b.stored(ctx, o.Users)
	if err != nil {
		return out, err
	}
	out.Stored = Stored{after.Vectors - before.Vectors, after.Decisions - before.Decisions}
	out.Lost = rd.res.Sent - min(rd.res.Decided, out.Stored.Vectors, out.Stored.Decisions)
	return out, errors.Join(append([]error{rd.err}, stopErrs...)...)
}
