package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"

	"github.com/mouseauth/mouseauth/bench"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/live/deploy"
)

// benchFloodRun is bench pipeline --flood: one call into bench.RunFlood,
// its two runs as a table.
func benchFloodRun(ctx context.Context, opts *BenchPipelineOptions, env *deploy.Env, logger *slog.Logger) error {
	ios := opts.IO
	p := pipelineOf(env)
	if env.Cluster != nil {
		// The honest users log in from workstations of their own, bundles
		// kept under the state folder (which publishes the scorer key).
		keys, err := env.Keys()
		if err != nil {
			return err
		}
		p.Keys = keys
		p.Workstation = func(ctx context.Context, name string, users []string) (bench.Workstation, error) {
			b, err := deploy.Workstation(ctx, env.Cluster.Dir, name, users, filepath.Join(env.Cluster.Dir, "bench-workstations", name))
			if err != nil {
				return bench.Workstation{}, err
			}
			return bench.Workstation{TLS: b.TLS, SASL: b.SASL, Identity: b.Identity, Decisions: b.Config.Topics.Decisions}, nil
		}
	}
	res, err := bench.RunFlood(ctx, p, bench.FloodOptions{Logins: opts.Flood, Seed: uint64(opts.Seed),
		Trees: opts.Trees, Now: opts.Now, Logger: logger, Notes: ios.ErrOut})
	if err != nil {
		return err
	}
	t := &cli.Table{Columns: []string{"run", "flood_logins", "honest_logins", "accepted", "refused", "login_p50_ms", "login_p99_ms",
		"login_max_ms", "vector_p50_ms", "vector_p99_ms", "flood_written_ms", "flood_answered_s", "checked", "over_budget", "backing_off"}}
	for _, x := range []struct {
		name string
		r    bench.FloodRun
	}{{"baseline", res.Baseline}, {"flood", res.Flood}} {
		r := x.r
		checked := r.Results["accepted"] + r.Results["wrong password"] + r.Results["unknown user"]
		t.Add(x.name, r.Flood, r.LoggedIn, r.Accepted, r.Refused, r2(r.Logins.P50), r2(r.Logins.P99), r2(r.Logins.Max),
			r2(r.Vectors.P50), r2(r.Vectors.P99), r2(float64(r.Written.Microseconds())/1000), r2(r.Answered.Seconds()), checked,
			r.Results["over budget"], r.Results["backing off"])
	}
	fmt.Fprintf(ios.ErrOut, "machine: %s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	if opts.Result != nil {
		opts.Result(t)
	}
	return cli.Render(ios.Out, opts.Output, t)
}
