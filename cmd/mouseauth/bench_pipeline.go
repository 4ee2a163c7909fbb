package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/replay"
	"github.com/mouseauth/mouseauth/reports"
)

// The enterprise design's published figure: about 2 s per classification
// and store with 14 users sending 10 vectors per 5 s each.
const publishedClassifyStoreSecs = 2.0

// BenchPipelineOptions are the options of `mouseauth bench pipeline`.
type BenchPipelineOptions struct {
	IO       *cli.IOStreams
	Now      func() time.Time
	Deploy   DeployOptions
	Users    []int
	Interval time.Duration // per user, in the enterprise mode
	Vectors  int           // per user per round, in the enterprise mode
	Rates    []float64     // total vectors/s; nil = the enterprise mode
	AutoRate bool
	Duration time.Duration // per saturation step
	Soak     time.Duration
	Seed     uint64
	Trees    int
	Report   string
	Output   string
	Wait     time.Duration
	// Result receives the rows (tests).
	Result func(*cli.Table)
}

func newCmdBenchPipeline(f *cli.Factory) *cobra.Command { return newCmdBenchPipelineF(f, nil) }

func newCmdBenchPipelineF(f *cli.Factory, runF func(context.Context, *BenchPipelineOptions) error) *cobra.Command {
	opts := &BenchPipelineOptions{IO: f.IO, Now: f.Now}
	var users, rates string
	cmd := &cobra.Command{
		Use:   "pipeline",
		Short: "Measure classification-and-store latency and throughput of the live pipeline",
		Long: `Bench pipeline enrols load users (models trained on synthetic base users,
copied to each load user; cheap password hashing, since the load is on the
second factor), runs a scoring service, and replays vectors through Kafka.

Without --rate it reproduces the enterprise design's second table: for each
user count in --users, users log in one after another and each sends one
vector every --interval (500ms: 10 vectors per 5 s); per count it reports the
service's classification-and-store time (fetch to decision stored and
published) and the end-to-end latency (send to decision received): mean,
std, min, max, p99.

With --rate (total vectors per second; a list, or auto to double from 250
until p99 passes 100 ms or a vector goes undecided) it holds each rate for
--duration per user count and reports the achieved decisions per second,
latency, CPU (cores busy in this process) and memory, and the highest rate
sustained with p99 under 100 ms. --soak holds the first rate for that long
and reports the heap at the start and the end.

Embedded by default: the broker, the database, the service and the clients
share this process (and its CPU). Cluster flags as for 'live serve'.`,
		Example: `  mouseauth bench pipeline --users 1:14 --report bench-out
  mouseauth bench pipeline --users 100,1000,10000 --rate auto --duration 15s
  mouseauth bench pipeline --users 1000 --rate 2000 --soak 10m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if opts.Users, err = parseCounts(users); err != nil {
				return cli.FlagErrorf("--users %q: %v", users, err)
			}
			if rates == "auto" {
				opts.AutoRate = true
			} else if rates != "" {
				for _, r := range strings.Split(rates, ",") {
					v, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
					if err != nil || v <= 0 {
						return cli.FlagErrorf("--rate %q: want positive numbers or auto", rates)
					}
					opts.Rates = append(opts.Rates, v)
				}
			}
			if opts.Soak > 0 && len(opts.Rates) == 0 {
				return cli.FlagErrorf("--soak needs --rate")
			}
			if opts.Interval <= 0 || opts.Vectors < 1 || opts.Duration < time.Second {
				return cli.FlagErrorf("--interval must be positive, --vectors >= 1, --duration >= 1s")
			}
			if err := opts.Deploy.validateWith(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return benchPipelineRun(cmd.Context(), opts)
		},
	}
	opts.Deploy.bind(cmd.Flags(), "replay")
	fl := cmd.Flags()
	fl.StringVar(&users, "users", "1:14", "user counts: a count, list or range low:high")
	fl.DurationVar(&opts.Interval, "interval", 500*time.Millisecond, "per-user send interval in the enterprise mode")
	fl.IntVar(&opts.Vectors, "vectors", 10, "vectors per user per round in the enterprise mode")
	fl.StringVar(&rates, "rate", "", "total vectors per second: list, or auto (saturation mode)")
	fl.DurationVar(&opts.Duration, "duration", 15*time.Second, "how long each rate is held")
	fl.DurationVar(&opts.Soak, "soak", 0, "hold the first rate this long and report heap at start and end")
	fl.Uint64Var(&opts.Seed, "seed", 1, "seed of the synthetic base users")
	fl.IntVar(&opts.Trees, "trees", 30, "trees of the load users' models")
	fl.StringVar(&opts.Report, "report", "", "write tables (md, csv, json) and plots (png, svg) to this folder")
	fl.DurationVar(&opts.Wait, "wait", 30*time.Second, "how long to wait for outstanding decisions per step")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// usage samples this process's CPU time and memory.
type usage struct {
	wall time.Time
	cpu  time.Duration
}

func sampleUsage() usage {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return usage{wall: time.Now(), cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
}

// cores is the CPU used between two samples, in cores.
func cores(a, b usage) float64 {
	if w := b.wall.Sub(a.wall); w > 0 {
		return float64(b.cpu-a.cpu) / float64(w)
	}
	return 0
}

// memMB returns the live heap after a GC and the resident set, in MB.
func memMB() (heap, rss float64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap = float64(ms.HeapAlloc) / (1 << 20)
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				rss = kb / 1024
			}
		}
	}
	return heap, rss
}

func benchPipelineRun(ctx context.Context, opts *BenchPipelineOptions) error {
	ios := opts.IO
	maxUsers := opts.Users[len(opts.Users)-1]
	base, err := replay.Synthetic(ctx, 10, 3, 80, opts.Seed)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(ios.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	env, err := opts.Deploy.open(ctx, logger)
	if err != nil {
		return err
	}
	defer env.Close()
	for _, w := range env.Where {
		fmt.Fprintln(ios.ErrOut, "bench:", w)
	}
	bar := cli.NewProgress(ios, int64(maxUsers), "enrolling", "users")
	var last int
	all, err := replay.PlanLoad(ctx, env.Creds, env.Profiles, base, replay.LoadOptions{Users: maxUsers, Vectors: 1,
		Train:  account.TrainOptions{Params: map[string]any{"trees": opts.Trees}, Seed: int64(opts.Seed)},
		Argon2: account.Argon2Params{Memory: 64, Time: 1, Threads: 1}, RunID: "enrol", Now: opts.Now(),
		Progress: func(done int) { bar.Add(done - last); last = done }})
	bar.Done()
	if err != nil {
		return err
	}
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.LoginAs
	}
	if err := env.EnsureUserTopics(ctx, names); err != nil {
		return err
	}
	stop, err := env.StartService(ctx, live.Config{Logger: logger, Retrain: live.RetrainPolicy{Every: -1}})
	if err != nil {
		return err
	}
	defer func() { _ = stop() }()

	round := 0
	// stored counts what the store holds for the first n users: the
	// difference over a step shows sent = stored = decided.
	stored := func(n int) (nv, nd int64, err error) {
		for _, s := range all[:n] {
			v, d, err := env.Profiles.Counts(ctx, s.LoginAs)
			if err != nil {
				return 0, 0, err
			}
			nv, nd = nv+v, nd+d
		}
		return nv, nd, nil
	}
	var storedV, storedD int64 // of the last step
	// step replays n users sending every interval for count vectors.
	step := func(n int, interval time.Duration, count int) (replay.Result, usage, usage, error) {
		round++
		sessions := make([]replay.Session, n)
		for k := range sessions {
			s := all[k]
			s.ID = fmt.Sprintf("b%d-%d-%s", opts.Now().UnixNano(), round, s.LoginAs)
			vs := make([]replay.Timed, count)
			pool := base[k%len(base)].Sessions[1+k%2]
			for i := range vs {
				vs[i] = replay.Timed{Values: pool[(k+i)%len(pool)].Values}
			}
			s.Vectors = vs
			sessions[k] = s
		}
		pb := cli.NewProgress(ios, int64(n*count), fmt.Sprintf("%d users, one vector per %v each", n, interval), "vectors decided")
		var seen int64
		v0, d0, err := stored(n)
		if err != nil {
			return replay.Result{}, usage{}, usage{}, err
		}
		u0 := sampleUsage()
		res, err := replay.Run(ctx, replay.Config{Brokers: env.Brokers, TLS: env.TLS, Topics: env.Topics, Interval: interval,
			Stagger: interval / time.Duration(n), Wait: opts.Wait,
			Progress: func(_, d int64) { pb.Add(int(d - seen)); seen = d }}, sessions)
		u1 := sampleUsage()
		pb.Done()
		v1, d1, serr := stored(n)
		if serr != nil {
			return res, u0, u1, serr
		}
		storedV, storedD = v1-v0, d1-d0
		return res, u0, u1, err
	}

	var tables []reports.NamedTable
	var figs []reports.Figure
	var t *cli.Table
	if len(opts.Rates) == 0 && !opts.AutoRate {
		t = &cli.Table{Columns: []string{"users", "vectors", "service_mean_ms", "service_std_ms", "service_min_ms", "service_max_ms",
			"service_p99_ms", "e2e_mean_ms", "e2e_std_ms", "e2e_min_ms", "e2e_max_ms", "e2e_p99_ms", "decided", "stored_vectors", "stored_decisions", "lost", "published_mean_ms", "ratio"}}
		var xs, svcY, e2eY []float64
		for _, n := range opts.Users {
			res, _, _, err := step(n, opts.Interval, opts.Vectors)
			if err != nil {
				return err
			}
			t.Add(n, res.Sent, r3(res.Service.Mean), r3(res.Service.Std), r3(res.Service.Min), r3(res.Service.Max), r3(res.Service.P99),
				r3(res.Latency.Mean), r3(res.Latency.Std), r3(res.Latency.Min), r3(res.Latency.Max), r3(res.Latency.P99),
				res.Decided, storedV, storedD, res.Sent-min(res.Decided, storedV, storedD), publishedClassifyStoreSecs*1000, r2(publishedClassifyStoreSecs*1000/res.Latency.Mean))
			xs, svcY, e2eY = append(xs, float64(n)), append(svcY, res.Service.Mean), append(e2eY, res.Latency.Mean)
		}
		tables = append(tables, reports.NamedTable{Name: "pipeline_users", Title: "Classification and store time per user count", Table: t})
		p, err := reports.LinePlot("Latency against users", "concurrent users", "mean latency (ms)", false,
			reports.Series{Label: "service: fetch to stored", X: xs, Y: svcY}, reports.Series{Label: "end to end: send to decision", X: xs, Y: e2eY})
		if err != nil {
			return err
		}
		figs = append(figs, reports.Figure{Name: "latency_users", Caption: "Mean latency against users", Plot: p})
	} else {
		t = &cli.Table{Columns: []string{"users", "offered_per_s", "achieved_per_s", "sent", "decided", "stored_vectors", "stored_decisions", "lost", "p50_ms", "p99_ms", "max_ms",
			"service_p99_ms", "cpu_cores", "heap_mb", "rss_mb", "sustained"}}
		var series []reports.Series
		for _, n := range opts.Users {
			rates := opts.Rates
			if opts.AutoRate {
				rates = []float64{250}
			}
			s := reports.Series{Label: fmt.Sprintf("%d users", n)}
			best := 0.0
			for i := 0; i < len(rates); i++ {
				rate := rates[i]
				interval := time.Duration(float64(n) / rate * float64(time.Second))
				count := max(3, int(opts.Duration/interval))
				res, u0, u1, err := step(n, interval, count)
				if err != nil && res.Sent == 0 {
					return err
				}
				heap, rss := memMB()
				lost := res.Sent - min(res.Decided, storedV, storedD)
				ok := err == nil && lost == 0 && res.Latency.P99 < 100
				if ok {
					best = max(best, res.Throughput)
				}
				t.Add(n, r2(rate), r2(res.Throughput), res.Sent, res.Decided, storedV, storedD, lost, r3(res.Latency.P50), r3(res.Latency.P99),
					r3(res.Latency.Max), r3(res.Service.P99), r2(cores(u0, u1)), r2(heap), r2(rss), ok)
				s.X, s.Y = append(s.X, rate), append(s.Y, res.Throughput)
				if opts.AutoRate && ok && rate < 64000 {
					rates = append(rates, rate*2)
				}
			}
			series = append(series, s)
			fmt.Fprintf(ios.ErrOut, "%d users: highest sustained rate with p99 < 100 ms and nothing lost: %.0f vectors/s\n", n, best)
		}
		tables = append(tables, reports.NamedTable{Name: "pipeline_rate", Title: "Throughput against offered rate", Table: t})
		p, err := reports.LinePlot("Throughput against offered rate", "offered vectors/s", "decided vectors/s", true, series...)
		if err != nil {
			return err
		}
		figs = append(figs, reports.Figure{Name: "throughput_rate", Caption: "Decided against offered rate", Plot: p})
		if opts.Soak > 0 {
			n, rate := opts.Users[0], opts.Rates[0]
			interval := time.Duration(float64(n) / rate * float64(time.Second))
			h0, r0 := memMB()
			// Sample memory through the soak: flat means the heap stops
			// growing once the broker's retention window is full.
			mt := &cli.Table{Columns: []string{"t_s", "heap_mb", "rss_mb"}}
			var ts, hs, rs []float64
			begin := time.Now()
			sample := func() {
				h, r := memMB()
				sec := time.Since(begin).Seconds()
				mt.Add(r2(sec), r2(h), r2(r))
				ts, hs, rs = append(ts, sec), append(hs, h), append(rs, r)
			}
			sample()
			stopSampling := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				tick := time.NewTicker(opts.Soak / 20)
				defer tick.Stop()
				for {
					select {
					case <-tick.C:
						sample()
					case <-stopSampling:
						return
					}
				}
			}()
			res, u0, u1, err := step(n, interval, int(opts.Soak/interval))
			close(stopSampling)
			<-sampled
			if err != nil {
				return err
			}
			h1, r1 := memMB()
			st := &cli.Table{Columns: []string{"users", "rate_per_s", "duration_s", "sent", "decided", "stored_vectors", "stored_decisions", "p99_ms", "cpu_cores", "heap_start_mb",
				"heap_mid_mb", "heap_end_mb", "rss_start_mb", "rss_mid_mb", "rss_end_mb"}}
			mid := len(hs) / 2
			st.Add(n, rate, r2(res.Span.Seconds()), res.Sent, res.Decided, storedV, storedD, r3(res.Latency.P99), r2(cores(u0, u1)), r2(h0), r2(hs[mid]), r2(h1),
				r2(r0), r2(rs[mid]), r2(r1))
			tables = append(tables, reports.NamedTable{Name: "pipeline_soak", Title: "Soak: memory at start, middle and end", Table: st},
				reports.NamedTable{Name: "pipeline_soak_memory", Title: "Soak: memory over time", Table: mt})
			p, err := reports.LinePlot("Memory during the soak", "seconds", "MB", false,
				reports.Series{Label: "heap after GC", X: ts, Y: hs}, reports.Series{Label: "resident set", X: ts, Y: rs})
			if err != nil {
				return err
			}
			figs = append(figs, reports.Figure{Name: "soak_memory", Caption: "Memory during the soak", Plot: p})
			if err := cli.Render(ios.Out, opts.Output, st); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(ios.ErrOut, "machine: %s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	if opts.Result != nil {
		opts.Result(t)
	}
	if opts.Report != "" {
		paths, err := reports.WriteFiles(ctx, opts.Report, tables, figs)
		if err != nil {
			return err
		}
		fmt.Fprintf(ios.ErrOut, "wrote %d files to %s\n", len(paths), opts.Report)
	}
	return cli.Render(ios.Out, opts.Output, t)
}

func r3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }
