package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/embedded"
	"github.com/mouseauth/mouseauth/live/store/file"
	"github.com/mouseauth/mouseauth/live/store/mysql"
	"github.com/mouseauth/mouseauth/replay"
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
	Seed   uint64
	Report string
	Output string
}

var modelStoreKinds = []string{"file", "embedded", "mysql", "cassandra"}

func newCmdBenchModelLoad(f *cli.Factory) *cobra.Command { return newCmdBenchModelLoadF(f, nil) }

func newCmdBenchModelLoadF(f *cli.Factory, runF func(context.Context, *BenchModelLoadOptions) error) *cobra.Command {
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
MOUSEAUTH_MYSQL_DSN and a client certificate (--tls-dir, --tls-name);
cassandra needs --cassandra. A store that is not configured is skipped with
a note.`,
		Example: `  mouseauth bench model-load --stores file,embedded --users 9
  MOUSEAUTH_MYSQL_DSN='scorer@tcp(127.0.0.1:3306)/mouseauth' mouseauth bench model-load \
    --stores file,mysql,embedded --tls-dir pki --tls-name scorer --report bench-out`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, s := range opts.Stores {
				if !slices.Contains(modelStoreKinds, s) {
					return cli.FlagErrorf("--stores: unknown store %q (have %s)", s, strings.Join(modelStoreKinds, ", "))
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
	cmd.Flags().Uint64Var(&opts.Seed, "seed", 1, "seed of the synthetic users")
	cmd.Flags().StringVar(&opts.Report, "report", "", "write the table (md, csv, json) to this folder")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// openModelStore opens one store for the bench; skip explains a store that
// is not configured.
func openModelStore(ctx context.Context, kind string, o *DeployOptions, dir string) (st store.Models, skip string, err error) {
	switch kind {
	case "file":
		st, err = file.Open(filepath.Join(dir, "models"))
	case "embedded":
		st, err = embedded.Open(ctx, filepath.Join(dir, "bench.db"))
	case "mysql":
		if o.dsnSource() == "" {
			return nil, "no --mysql-dsn-file or MOUSEAUTH_MYSQL_DSN", nil
		}
		dsn, err := o.dsn()
		if err != nil {
			return nil, "", err
		}
		c, err := o.clientTLS()
		if err != nil {
			return nil, "", err
		}
		s, err := mysql.Open(ctx, mysql.Config{DSN: dsn, TLS: c, CreateSchema: true})
		return s, "", err
	case "cassandra":
		if len(o.Cassandra) == 0 {
			return nil, "no --cassandra contact points", nil
		}
		c, err := o.clientTLS()
		if err != nil {
			return nil, "", err
		}
		p, err := openCassandra(ctx, o, c)
		return p, "", err
	}
	return st, "", err
}

func benchModelLoadRun(ctx context.Context, opts *BenchModelLoadOptions) error {
	ios := opts.IO
	users, err := replay.Synthetic(ctx, opts.Users, 1, 300, opts.Seed)
	if err != nil {
		return err
	}
	train := make([][][]float64, len(users))
	for i, u := range users {
		for _, v := range u.Sessions[0] {
			train[i] = append(train[i], v.Values)
		}
	}
	models := make([][]byte, len(users))
	bar := cli.NewProgress(ios, int64(len(users)), "training", "models")
	for i, u := range users {
		var others [][]float64
		for j := range users {
			if j != i {
				others = append(others, train[j]...)
			}
		}
		if models[i], err = account.TrainModel(ctx, u.User, 1, train[i], others,
			account.TrainOptions{Params: map[string]any{"trees": opts.Trees}, Seed: int64(opts.Seed)}, opts.Now()); err != nil {
			return err
		}
		bar.Add(1)
	}
	bar.Done()
	var size float64
	for _, m := range models {
		size += float64(len(m))
	}
	size /= float64(len(models)) * 1024
	dir, err := os.MkdirTemp("", "mouseauth-model-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// The peer: decoding the same model bytes from memory, no store.
	var dec []time.Duration
	for r := 0; r < opts.Repeat; r++ {
		for _, m := range models {
			t0 := time.Now()
			if _, err := classify.Load(bytes.NewReader(m)); err != nil {
				return err
			}
			dec = append(dec, time.Since(t0))
		}
	}
	decode := replay.Summarize(dec)
	t := &cli.Table{Columns: []string{"store", "users", "loads", "mean_ms", "std_ms", "min_ms", "max_ms", "p50_ms", "p99_ms", "model_kb",
		"decode_only_mean_ms", "note"}}
	run := fmt.Sprintf("bench%d", opts.Now().UnixNano())
	for _, kind := range opts.Stores {
		st, skip, err := openModelStore(ctx, kind, &opts.Deploy, filepath.Join(dir, kind))
		if err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
		if skip != "" {
			fmt.Fprintf(ios.ErrOut, "%s: skipped: %s\n", kind, skip)
			t.Add(kind, 0, 0, "-", "-", "-", "-", "-", "-", r2(size), r3(decode.Mean), "skipped: "+skip)
			continue
		}
		names := make([]string, len(users))
		for i, u := range users {
			names[i] = run + "_" + u.User
			if err := st.PutModel(ctx, store.Model{User: names[i], Version: 1, Data: models[i], Created: opts.Now()}); err != nil {
				st.Close()
				return fmt.Errorf("%s: %w", kind, err)
			}
		}
		pb := cli.NewProgress(ios, int64(opts.Repeat*len(users)), "loading from "+kind, "models")
		var times []time.Duration
		for r := 0; r < opts.Repeat; r++ {
			for _, name := range names {
				t0 := time.Now()
				m, err := st.LatestModel(ctx, name)
				if err == nil {
					_, err = classify.Load(bytes.NewReader(m.Data))
				}
				if err != nil {
					st.Close()
					return fmt.Errorf("%s: load %s: %w", kind, name, err)
				}
				times = append(times, time.Since(t0))
			}
			pb.Add(len(names))
		}
		pb.Done()
		st.Close()
		s := replay.Summarize(times)
		t.Add(kind, len(users), s.N, r3(s.Mean), r3(s.Std), r3(s.Min), r3(s.Max), r3(s.P50), r3(s.P99), r2(size), r3(decode.Mean), "")
	}
	if opts.Report != "" {
		if _, err := reports.WriteFiles(ctx, opts.Report, []reports.NamedTable{{Name: "model_load", Title: "Model loading per store", Table: t}}, nil); err != nil {
			return err
		}
	}
	return cli.Render(ios.Out, opts.Output, t)
}
