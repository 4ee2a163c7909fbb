package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/bench"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/live/deploy"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/reports"
)

// BenchModelLoadOptions are the options of `mouseauth bench model-load`.
type BenchModelLoadOptions struct {
	IO     *cli.IOStreams
	Now    func() time.Time
	Deploy DeployOptions
	Stores []string
	Users  int
	Repeat int
	Trees  int
	Seed   int64
	Report string
	Output string
}

func newCmdBenchModelLoad(f *cli.Factory, runF func(context.Context, *BenchModelLoadOptions) error) *cobra.Command {
	opts := &BenchModelLoadOptions{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "model-load",
		Short: "Time loading each user's model from each store",
		Long: `Model-load trains one random forest per synthetic user, stores them in each
store of --stores, then loads every user's model --repeat times from each: the
store's read plus decoding the model file, as the service does on a cache
miss. Per store it reports mean, standard deviation, minimum, maximum, p50 and
p99 in milliseconds and the model size, as the enterprise design's first
table did, beside the peer measured in the same run: decoding the same model
bytes from memory, without a store.

file and embedded need nothing; mysql needs --mysql-dsn-file or
MOUSEAUTH_MYSQL_DSN and a client certificate (--pki-dir, --cert);
cassandra needs --cassandra. A store that is not configured is skipped with
a note.`,
		Example: `  mouseauth bench model-load --stores file,embedded --users 9
  MOUSEAUTH_MYSQL_DSN='scorer@tcp(127.0.0.1:3306)/mouseauth' mouseauth bench model-load \
    --stores file,mysql,embedded --pki-dir mouseauth-pki --cert scorer --out bench-out`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, s := range opts.Stores {
				if !slices.Contains(deploy.ModelStores, s) {
					return cli.FlagErrorf("--stores: unknown store %q (have %s)", s, strings.Join(deploy.ModelStores, ", "))
				}
			}
			if opts.Users < 2 || opts.Repeat < 1 {
				return cli.FlagErrorf("--users must be >= 2 and --repeat >= 1")
			}
			if err := opts.Deploy.validateWith(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return benchModelLoadRun(cmd.Context(), opts)
		},
	}
	opts.Deploy.bind(cmd.Flags(), "scorer")
	cmd.Flags().StringSliceVar(&opts.Stores, "stores", []string{"file", "embedded"}, "stores to measure: file, embedded, mysql, cassandra")
	cmd.Flags().IntVar(&opts.Users, "users", 9, "users (one model each)")
	cmd.Flags().IntVar(&opts.Repeat, "repeat", 100, "loads of each user's model per store")
	cmd.Flags().IntVar(&opts.Trees, "trees", 100, "trees per model")
	bindSeed(cmd.Flags(), &opts.Seed, "seed of the synthetic users")
	cmd.Flags().StringVar(&opts.Report, "out", "", "write the table (md, csv, json) to this folder")
	cli.Alias(cmd.Flags(), "report", "out")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// modelStoreNeeds says what a model store that is not configured needs.
var modelStoreNeeds = map[string]string{
	"mysql":     "no --mysql-dsn-file or MOUSEAUTH_MYSQL_DSN",
	"cassandra": "no --cassandra contact points",
}

func benchModelLoadRun(ctx context.Context, opts *BenchModelLoadOptions) error {
	ios := opts.IO
	dir, err := os.MkdirTemp("", "mouseauth-model-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	d, err := opts.Deploy.options()
	if err != nil {
		return err
	}
	stores := make([]bench.ModelStore, len(opts.Stores))
	for i, kind := range opts.Stores {
		stores[i] = bench.ModelStore{Kind: kind, Open: func(ctx context.Context, dir string) (store.Models, string, error) {
			d := d
			d.Stores.State, d.Stores.ModelsDir = dir, filepath.Join(dir, "models")
			st, err := deploy.OpenModels(ctx, kind, d)
			if errors.Is(err, deploy.ErrNotConfigured) {
				return nil, modelStoreNeeds[kind], nil
			}
			return st, "", err
		}}
	}
	rows, err := bench.RunModelLoad(ctx, stores, bench.ModelLoadOptions{Users: opts.Users, Repeat: opts.Repeat, Trees: opts.Trees,
		Seed: uint64(opts.Seed), Dir: dir, Now: opts.Now,
		Meter: func(total int64, desc, unit string) bench.Meter { return cli.NewProgress(ios, total, desc, unit) }})
	if err != nil {
		return err
	}
	t := &cli.Table{Columns: []string{"store", "users", "loads", "mean_ms", "std_ms", "min_ms", "max_ms", "p50_ms", "p99_ms", "model_kb",
		"decode_only_mean_ms", "note"}}
	for _, r := range rows {
		if r.Skipped != "" {
			fmt.Fprintf(ios.ErrOut, "%s: skipped: %s\n", r.Store, r.Skipped)
			t.Add(r.Store, 0, 0, "-", "-", "-", "-", "-", "-", r2(r.ModelKB), r3(r.DecodeOnly.Mean), "skipped: "+r.Skipped)
			continue
		}
		s := r.Loads
		t.Add(r.Store, r.Users, s.N, r3(s.Mean), r3(s.Std), r3(s.Min), r3(s.Max), r3(s.P50), r3(s.P99), r2(r.ModelKB), r3(r.DecodeOnly.Mean), "")
	}
	if opts.Report != "" {
		if _, err := reports.WriteFiles(ctx, opts.Report, []reports.NamedTable{{Name: "model_load", Title: "Model loading per store", Table: t}}, nil); err != nil {
			return err
		}
	}
	return cli.Render(ios.Out, opts.Output, t)
}
