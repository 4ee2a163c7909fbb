package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/deploy"
	"github.com/mouseauth/mouseauth/replay"
)

func replayRun(ctx context.Context, opts *ReplayOptions) error {
	ios := opts.IO
	maxUsers := opts.Users[len(opts.Users)-1]
	if opts.Data != "" {
		fmt.Fprintf(ios.ErrOut, "reading sessions from %s\n", opts.Data)
	} else {
		fmt.Fprintf(ios.ErrOut, "synthesizing %d users × %d sessions × %d actions (seed %d)\n", maxUsers, opts.Sessions, opts.Actions, opts.Seed)
	}
	users, err := replay.Source{Data: opts.Data, Users: maxUsers, Sessions: opts.Sessions, Actions: opts.Actions, Seed: uint64(opts.Seed)}.Load(ctx,
		func(e error) { fmt.Fprintln(ios.ErrOut, "warning:", e) })
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(ios.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	password := ""
	if opts.Bundle != "" || opts.PasswordFile != "" || opts.Getenv(envPassword) != "" {
		if password, err = readUserPassword(opts.PasswordFile, opts.Getenv, ios.In); err != nil {
			return err
		}
	}
	if opts.Bundle != "" {
		return replayBundleRun(ctx, opts, users, password, logger)
	}
	env, err := opts.Deploy.open(ctx, logger)
	if err != nil {
		return err
	}
	defer env.Close()
	// The key logins are sealed to, before any work: the in-process
	// service's (created on first use), else --scorer-key or the one the
	// service on --state published.
	if !opts.NoService && opts.ScorerKey == "" {
		if _, err := env.Keys(); err != nil {
			return err
		}
	}
	scorerKey, err := env.ScorerPublicKey(opts.ScorerKey)
	if err != nil {
		return err
	}
	for _, w := range env.Where {
		fmt.Fprintln(ios.ErrOut, "replay:", w)
	}
	fmt.Fprintf(ios.ErrOut, "replay: sealing logins to %s\n", scorerKey)
	bar := cli.NewProgress(ios, int64(len(users)), "enrolling", "users")
	sessions, err := replay.Plan(ctx, env.Credentials, env.Profiles, users, replay.PlanOptions{
		TrainSessions: opts.TrainSessions, Impostors: opts.Impostors, MaxActions: opts.MaxActions,
		Train:    account.TrainOptions{Preset: opts.Preset, Params: map[string]any{"trees": opts.Trees}, Seed: opts.Seed, Decision: opts.Decision},
		Now:      opts.Now(),
		Password: password,
		Progress: func(string, bool) { bar.Add(1) }})
	bar.Done()
	if err != nil {
		return err
	}
	names := replay.Names(users)
	if err := env.EnsureUserTopics(ctx, names); err != nil {
		return err
	}
	if !opts.NoService {
		// This process's service: its one client plays every user at once.
		stop, err := env.StartService(ctx, live.Config{Logger: logger, Budget: live.OneClientBudget(),
			Retrain: live.RetrainPolicy{Train: account.TrainOptions{Preset: opts.Preset, Params: map[string]any{"trees": opts.Trees}, Seed: opts.Seed}}})
		if err != nil {
			return err
		}
		defer func() {
			if err := stop(); err != nil {
				fmt.Fprintln(ios.ErrOut, "scoring service:", err)
			}
		}()
		fmt.Fprintln(ios.ErrOut, "replay: scoring service running in this process")
	}

	// Stored counts before and after each round show that every vector sent
	// was stored and decided exactly once.
	return replayRounds(ctx, opts, replay.Config{Brokers: env.Brokers, TLS: env.TLS, SASL: env.SASL, Topics: env.Topics, ScorerKey: scorerKey,
		Speed: opts.Speed, Interval: opts.Interval, Stagger: opts.Stagger, Wait: opts.Wait, Logger: logger}, env.Profiles, names, sessions)
}

// replayBundleRun replays as the workstation of a client bundle: no state
// folder, no store, no enrolment; the users must be enrolled on the
// scorer's side with password.
func replayBundleRun(ctx context.Context, opts *ReplayOptions, users []replay.UserSessions, password string, logger *slog.Logger) error {
	ios := opts.IO
	b, err := deploy.LoadBundle(opts.Bundle)
	if err != nil {
		return err
	}
	names := replay.Names(users)
	var outside []string
	for _, u := range names {
		if !slices.Contains(b.Config.Users, u) {
			outside = append(outside, u)
		}
	}
	fmt.Fprintf(ios.ErrOut, "replay: client bundle %s: identity %s, bound to %s; brokers %s; decisions from %s\n",
		opts.Bundle, b.Config.Client, strings.Join(b.Config.Users, ", "), strings.Join(b.Config.Brokers, ","), b.Config.Topics.Decisions)
	if len(outside) > 0 {
		fmt.Fprintf(ios.ErrOut, "replay: %s %s not bound to %s: the scorer refuses their logins\n", strings.Join(outside, ", "),
			map[bool]string{true: "is", false: "are"}[len(outside) == 1], b.Config.Client)
	}
	fmt.Fprintf(ios.ErrOut, "replay: sealing logins to %s, signed as %s\n", b.ScorerKey, b.Config.Client)
	passwords := make([]string, len(users))
	for i := range passwords {
		passwords[i] = password
	}
	sessions := replay.Sessions(users, passwords, replay.PlanOptions{TrainSessions: opts.TrainSessions, Impostors: opts.Impostors, MaxActions: opts.MaxActions})
	return replayRounds(ctx, opts, replay.Config{Brokers: b.Config.Brokers, TLS: b.TLS, SASL: b.SASL, Topics: b.Names(), ScorerKey: b.ScorerKey,
		Identity: b.Identity, Speed: opts.Speed, Interval: opts.Interval, Stagger: opts.Stagger, Wait: opts.Wait, Logger: logger}, nil, names, sessions)
}

// replayRounds runs the rounds and renders their table; stored is nil for
// a client bundle (the stored counts are then "-").
func replayRounds(ctx context.Context, opts *ReplayOptions, cfg replay.Config, stored replay.Counter, names []string, sessions []replay.Session) error {
	ios := opts.IO
	rounds, err := replay.Rounds(ctx, cfg, stored, names, sessions, opts.Users,
		func(n int, total int64) (func(_, decided int64), func()) {
			pb := cli.NewProgress(ios, total, fmt.Sprintf("replaying %d users", n), "vectors decided")
			var last int64
			return func(_, decided int64) { pb.Add(int(decided - last)); last = decided }, pb.Done
		})
	if err != nil {
		return err
	}
	t := &cli.Table{Columns: []string{"users", "sessions", "impostor_sessions", "sent", "decided", "stored_vectors", "stored_decisions", "redelivered", "forged", "logins_refused",
		"genuine_alerted", "impostor_alerted", "median_actions_to_alert", "latency_mean_ms", "latency_p50_ms", "latency_p99_ms",
		"latency_max_ms", "service_mean_ms", "service_p99_ms", "decisions_per_s"}}
	results := make([]replay.Result, len(rounds))
	for i, rd := range rounds {
		res := rd.Result
		results[i] = res
		var median any = "-"
		if m, ok := res.MedianFirstAlert(); ok {
			median = m
		}
		var sv, sd any = rd.StoredVectors, rd.StoredDecisions
		if rd.StoredVectors < 0 {
			sv, sd = "-", "-" // a client does not read the store
		}
		t.Add(rd.Users, len(res.Sessions), res.ImpostorSessions, res.Sent, res.Decided, sv, sd, res.Duplicates, res.Forged, res.Refused,
			res.GenuineAlerts, res.ImpostorAlerts, median, r2(res.Latency.Mean), r2(res.Latency.P50), r2(res.Latency.P99),
			r2(res.Latency.Max), r2(res.Service.Mean), r2(res.Service.P99), r2(res.Throughput))
	}
	if err := cli.Render(ios.Out, opts.Output, t); err != nil {
		return err
	}
	results[len(results)-1].DescribeImpostors(ios.ErrOut)
	if opts.Result != nil {
		opts.Result(results)
	}
	return nil
}

func r2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }
