package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go/sasl"
	"golang.org/x/sync/errgroup"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/replay"
)

// PublishedClassifyStore is the enterprise design's published figure:
// about 2 s per classification and store with 14 users sending 10 vectors
// per 5 s each.
const PublishedClassifyStore = 2 * time.Second

// SustainedP99 is the end-to-end p99 under which a rate counts as
// sustained (with nothing lost).
const SustainedP99 = 100 * time.Millisecond

// Pipeline is an opened live pipeline for [RunPipeline].
type Pipeline struct {
	Brokers     []string
	Client      *tls.Config // the replaying clients' certificate
	Scorer      *tls.Config // the certificate of the service run in process
	Topics      topics.Names
	Profiles    store.Profiles
	Credentials store.Credentials
	// ClientSASL and ScorerSASL authenticate them on a SASL_SSL listener
	// (the embedded broker); nil on an mTLS-principal listener.
	ClientSASL, ScorerSASL sasl.Mechanism
	// EnsureUserTopics creates the users' feature topics when
	// Topics.PerUser is set; nil does nothing.
	EnsureUserTopics func(ctx context.Context, users []string) error
	// Keys of the service run in process; empty: generated for the run
	// (the replaying clients seal their logins to Keys.Public()).
	Keys live.Keys
	// Workstation registers a client identity bound to users, waits until
	// the brokers admit it, and returns it (the flood bench's honest users
	// log in from theirs); nil: they share Client.
	Workstation func(ctx context.Context, name string, users []string) (Workstation, error)
}

// Workstation is a registered client identity: how it connects, signs its
// logins and where its decisions come.
type Workstation struct {
	TLS       *tls.Config
	SASL      sasl.Mechanism
	Identity  *wire.ClientSigner
	Decisions string
}

// Meter shows the progress of a long step (a *cli.Progress is one).
type Meter interface {
	Add(n int)
	Done()
}

// PipelineOptions configure [RunPipeline].
type PipelineOptions struct {
	Users []int // user counts, ascending
	// The enterprise mode (no Rates, no AutoRate): each user sends Vectors
	// vectors, one every Interval.
	Interval time.Duration
	Vectors  int
	// The saturation mode: total vectors per second, each held for
	// Duration per user count; AutoRate doubles from 250 until a rate is
	// not sustained.
	Rates    []float64
	AutoRate bool
	Duration time.Duration
	// Soak holds Rates[0] with Users[0] this long, sampling memory.
	Soak  time.Duration
	Seed  uint64
	Trees int           // trees of the load users' models (random forests, the published preset: the figures are the forest's)
	Wait  time.Duration // for outstanding decisions per step
	Now   func() time.Time
	// Logger receives the service's and the clients' warnings (default
	// discard).
	Logger *slog.Logger
	// Notes receives a line per user count in the saturation mode (default
	// discard).
	Notes io.Writer
	// Meter, when set, shows the progress of enrolment and of each step.
	Meter func(total int64, description, unit string) Meter
	// Profile, when set, is a folder that receives CPU, block, mutex and
	// heap profiles of the measured run (from the service's start, after
	// enrolment), for `go tool pprof`.
	Profile string
}

func (o *PipelineOptions) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Notes == nil {
		o.Notes = io.Discard
	}
}

func (o *PipelineOptions) meter(total int64, description, unit string) Meter {
	if o.Meter == nil {
		return nopMeter{}
	}
	return o.Meter(total, description, unit)
}

type nopMeter struct{}

func (nopMeter) Add(int) {}
func (nopMeter) Done()   {}

// Stored is what the store gained during a step.
type Stored struct{ Vectors, Decisions int64 }

// LatencyRow is one user count of the enterprise mode.
type LatencyRow struct {
	Users  int
	Result replay.Result // Service: fetch to stored and published; Latency: send to decision received
	Stored Stored
	Lost   int64 // sent but not decided, or not stored
}

// Ratio is the published figure over the measured end-to-end mean.
func (r LatencyRow) Ratio() float64 {
	return float64(PublishedClassifyStore) / float64(time.Millisecond) / r.Result.Latency.Mean
}

// RateRow is one offered rate of the saturation mode.
type RateRow struct {
	Users     int
	Offered   float64 // vectors per second
	Result    replay.Result
	Stored    Stored
	Lost      int64
	CPUCores  float64 // cores busy in this process during the step
	HeapMB    float64 // live heap after a GC, after the step
	RSSMB     float64
	Sustained bool // nothing lost, no error and p99 under SustainedP99
}

// MemSample is the memory at a moment of the soak.
type MemSample struct{ Seconds, HeapMB, RSSMB float64 }

// SoakResult is the soak: the rate held and memory over time.
type SoakResult struct {
	Users         int
	Rate          float64
	Result        replay.Result
	Stored        Stored
	CPUCores      float64
	Before, After MemSample
	Samples       []MemSample // about 20 over the soak, the first at its start
}

// PipelineResult holds the rows of the mode that ran.
type PipelineResult struct {
	Latency []LatencyRow
	Rates   []RateRow
	// Best is, per user count, the highest rate sustained (decisions per
	// second), 0 when none was.
	Best map[int]float64
	Soak *SoakResult
}

// EnterpriseMode reports whether o selects the enterprise mode.
func (o *PipelineOptions) EnterpriseMode() bool { return len(o.Rates) == 0 && !o.AutoRate }

// RunPipeline enrols the load users, runs a scoring service on p in this
// process and measures the pipeline as o says.
func RunPipeline(ctx context.Context, p Pipeline, o PipelineOptions) (PipelineResult, error) {
	o.defaults()
	if len(o.Users) == 0 {
		return PipelineResult{}, fmt.Errorf("bench: no user counts")
	}
	if !o.EnterpriseMode() && o.Duration <= 0 {
		return PipelineResult{}, fmt.Errorf("bench: the saturation mode needs a positive duration")
	}
	begin := time.Now()
	b, err := newHarness(ctx, p, o)
	if err != nil {
		return PipelineResult{}, err
	}
	fmt.Fprintf(o.Notes, "enrolled %d load users in %.1f s\n", o.Users[len(o.Users)-1], time.Since(begin).Seconds())
	prof, err := startProfile(o.Profile)
	if err != nil {
		return PipelineResult{}, err
	}
	stop, err := b.startService(ctx)
	if err != nil {
		return PipelineResult{}, errors.Join(err, prof.stop())
	}
	res, err := b.run(ctx)
	if serr := stop(); err == nil && serr != nil {
		err = fmt.Errorf("bench: scoring service: %w", serr)
	}
	return res, errors.Join(err, prof.stop())
}

// harness is a pipeline with its enrolled load users.
type harness struct {
	p     Pipeline
	o     PipelineOptions
	base  []replay.UserSessions
	all   []replay.Session // one per load user: its login and password
	round int
}

func newHarness(ctx context.Context, p Pipeline, o PipelineOptions) (*harness, error) {
	maxUsers := o.Users[len(o.Users)-1]
	base, err := replay.Synthetic(ctx, 10, 3, 80, o.Seed)
	if err != nil {
		return nil, err
	}
	m := o.meter(int64(maxUsers), "enrolling", "users")
	var last int
	all, err := replay.PlanLoad(ctx, p.Credentials, p.Profiles, base, replay.LoadOptions{Users: maxUsers, Vectors: 1,
		Train:  account.TrainOptions{Preset: classify.PresetReference, Params: map[string]any{"trees": o.Trees}, Seed: int64(o.Seed)},
		Argon2: account.Argon2Params{Memory: 64, Time: 1, Threads: 1}, Now: o.Now(),
		Progress: func(done int) { m.Add(done - last); last = done }})
	m.Done()
	if err != nil {
		return nil, err
	}
	if p.EnsureUserTopics != nil {
		names := make([]string, len(all))
		for i, s := range all {
			names[i] = s.LoginAs
		}
		if err := p.EnsureUserTopics(ctx, names); err != nil {
			return nil, err
		}
	}
	if len(p.Keys.Scorer) == 0 {
		if p.Keys, err = live.GenerateKeys(); err != nil {
			return nil, err
		}
	}
	return &harness{p: p, o: o, base: base, all: all}, nil
}

func (b *harness) startService(ctx context.Context) (stop func() error, err error) {
	// The load users all log in from one client at once.
	svc, err := live.New(live.Config{Brokers: b.p.Brokers, TLS: b.p.Scorer, SASL: b.p.ScorerSASL, Topics: b.p.Topics, Profiles: b.p.Profiles,
		Credentials: b.p.Credentials, Logger: b.o.Logger, Keys: b.p.Keys, Retrain: live.RetrainPolicy{Every: -1}, Budget: live.OneClientBudget()})
	if err != nil {
		return nil, err
	}
	return svc.Start(ctx, nil)
}

// stored counts what the store holds for the first n users.
func (b *harness) stored(ctx context.Context, n int) (Stored, error) {
	var s Stored
	for _, x := range b.all[:n] {
		v, d, err := b.p.Profiles.Counts(ctx, x.LoginAs)
		if err != nil {
			return Stored{}, err
		}
		s.Vectors, s.Decisions = s.Vectors+v, s.Decisions+d
	}
	return s, nil
}

// stepResult is one replay step.
type stepResult struct {
	res    replay.Result
	stored Stored
	cores  float64
}

func (s stepResult) lost() int64 {
	return s.res.Sent - min(s.res.Decided, s.stored.Vectors, s.stored.Decisions)
}

// sessions gives the first n load users one session each, named by id, of
// count vectors drawn from their base user's second or third session.
func (b *harness) sessions(n, count int, id func(replay.Session) string) []replay.Session {
	out := make([]replay.Session, n)
	for k := range out {
		s := b.all[k]
		s.ID = id(s)
		vs := make([]replay.Timed, count)
		pool := b.base[k%len(b.base)].Sessions[1+k%2]
		for i := range vs {
			vs[i] = replay.Timed{Values: pool[(k+i)%len(pool)].Values}
		}
		s.Vectors = vs
		out[k] = s
	}
	return out
}

// step replays n users sending one vector every interval, count each. The
// error is the replay's; the result holds what was measured regardless.
func (b *harness) step(ctx context.Context, n int, interval time.Duration, count int) (stepResult, error) {
	b.round++
	sessions := b.sessions(n, count, func(replay.Session) string { return replay.NewSessionID() })
	before, err := b.stored(ctx, n)
	if err != nil {
		return stepResult{}, err
	}
	m := b.o.meter(int64(n*count), fmt.Sprintf("%d users, one vector per %v each", n, interval), "vectors decided")
	var seen int64
	u0 := sampleUsage()
	res, err := replay.Run(ctx, replay.Config{Brokers: b.p.Brokers, TLS: b.p.Client, SASL: b.p.ClientSASL, Topics: b.p.Topics, ScorerKey: b.p.Keys.Public(), Interval: interval,
		Stagger: interval / time.Duration(n), LoginsFirst: true, Wait: b.o.Wait, Logger: b.o.Logger,
		Progress: func(_, d int64) { m.Add(int(d - seen)); seen = d }}, sessions)
	u1 := sampleUsage()
	m.Done()
	after, serr := b.stored(ctx, n)
	if serr != nil {
		return stepResult{res: res}, serr
	}
	return stepResult{res: res, stored: Stored{after.Vectors - before.Vectors, after.Decisions - before.Decisions}, cores: cores(u0, u1)}, err
}

func (b *harness) run(ctx context.Context) (PipelineResult, error) {
	if b.o.EnterpriseMode() {
		var out PipelineResult
		for _, n := range b.o.Users {
			s, err := b.step(ctx, n, b.o.Interval, b.o.Vectors)
			if err != nil {
				return out, err
			}
			out.Latency = append(out.Latency, LatencyRow{Users: n, Result: s.res, Stored: s.stored, Lost: s.lost()})
		}
		return out, nil
	}
	out, err := b.saturate(ctx)
	if err != nil || b.o.Soak <= 0 {
		return out, err
	}
	out.Soak, err = b.soak(ctx)
	return out, err
}

// saturate holds each offered rate for the duration, per user count.
func (b *harness) saturate(ctx context.Context) (PipelineResult, error) {
	out := PipelineResult{Best: map[int]float64{}}
	for _, n := range b.o.Users {
		rates := b.o.Rates
		if b.o.AutoRate {
			rates = []float64{250}
		}
		for i := 0; i < len(rates); i++ {
			rate := rates[i]
			interval := time.Duration(float64(n) / rate * float64(time.Second))
			count := max(3, int(b.o.Duration/interval))
			s, err := b.step(ctx, n, interval, count)
			if err != nil && s.res.Sent == 0 {
				return out, err
			}
			heap, rss := memMB()
			ok := err == nil && s.lost() == 0 && s.res.Latency.P99 < float64(SustainedP99/time.Millisecond)
			if ok {
				out.Best[n] = max(out.Best[n], s.res.Throughput)
			}
			out.Rates = append(out.Rates, RateRow{Users: n, Offered: rate, Result: s.res, Stored: s.stored, Lost: s.lost(),
				CPUCores: s.cores, HeapMB: heap, RSSMB: rss, Sustained: ok})
			if b.o.AutoRate && ok && rate < 64000 {
				rates = append(rates, rate*2)
			}
		}
		fmt.Fprintf(b.o.Notes, "%d users: highest sustained rate with p99 < %d ms and nothing lost: %.0f vectors/s\n", n, SustainedP99.Milliseconds(), out.Best[n])
	}
	return out, nil
}

// soak holds the first rate with the first user count for o.Soak and
// samples memory about 20 times: flat means the heap stops growing once
// the broker's retention window is full.
func (b *harness) soak(ctx context.Context) (*SoakResult, error) {
	if len(b.o.Rates) == 0 {
		return nil, fmt.Errorf("bench: a soak needs a rate")
	}
	n, rate := b.o.Users[0], b.o.Rates[0]
	interval := time.Duration(float64(n) / rate * float64(time.Second))
	out := &SoakResult{Users: n, Rate: rate}
	begin := time.Now()
	sample := func() MemSample {
		h, r := memMB()
		return MemSample{Seconds: time.Since(begin).Seconds(), HeapMB: h, RSSMB: r}
	}
	out.Before = sample()
	out.Samples = append(out.Samples, out.Before)
	sampling, stopSampling := context.WithCancel(ctx)
	var g errgroup.Group
	g.Go(func() error {
		tick := time.NewTicker(b.o.Soak / 20)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				out.Samples = append(out.Samples, sample())
			case <-sampling.Done():
				return nil
			}
		}
	})
	s, err := b.step(ctx, n, interval, int(b.o.Soak/interval))
	stopSampling()
	_ = g.Wait()
	if err != nil {
		return nil, err
	}
	out.After = sample()
	out.Result, out.Stored, out.CPUCores = s.res, s.stored, s.cores
	return out, nil
}
