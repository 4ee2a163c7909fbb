package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/cli"
)

func TestNewCmdBenchPipeline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, args, wantErr string
		check               func(*BenchPipelineOptions) bool
	}{
		{name: "defaults", args: "", check: func(o *BenchPipelineOptions) bool {
			return len(o.Users) == 14 && o.Interval == 500*time.Millisecond && o.Vectors == 10 && o.Rates == nil && !o.AutoRate &&
				o.Deploy.State == "mouseauth-bench-state" && o.Profile == ""
		}},
		{name: "state and profile", args: "--state bench-1 --pprof prof-1", check: func(o *BenchPipelineOptions) bool {
			return o.Deploy.State == "bench-1" && o.Profile == "prof-1"
		}},
		{name: "rates", args: "--user-counts 100,1000 --rates 500,2000", check: func(o *BenchPipelineOptions) bool {
			return len(o.Users) == 2 && len(o.Rates) == 2 && o.Rates[1] == 2000
		}},
		{name: "auto", args: "--rates auto", check: func(o *BenchPipelineOptions) bool { return o.AutoRate }},
		{name: "one count", args: "--users 7", check: func(o *BenchPipelineOptions) bool { return len(o.Users) == 1 && o.Users[0] == 7 }},
		{name: "both", args: "--users 7 --user-counts 1:3", wantErr: "[users user-counts] are set none of the others can be"},
		{name: "bad rate", args: "--rates fast", wantErr: "--rates"},
		{name: "soak without rate", args: "--soak 1m", wantErr: "--soak needs --rates"},
		{name: "bad vectors", args: "--vectors 0", wantErr: "--vectors >= 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := cli.TestIO()
			var got *BenchPipelineOptions
			cmd := newCmdBenchPipeline(&cli.Factory{IO: ios, Now: time.Now}, func(_ context.Context, o *BenchPipelineOptions) error { got = o; return nil })
			err := execArgs(ios, cmd, tt.args)
			if tt.wantErr != "" {
				wantUsageError(t, err, tt.wantErr)
				return
			}
			if err != nil || got == nil || !tt.check(got) {
				t.Fatalf("err %v, options %+v", err, got)
			}
		})
	}
}

func TestBenchPipelineRun(t *testing.T) {
	t.Parallel()
	ios, _, out, errOut := cli.TestIO()
	report := filepath.Join(t.TempDir(), "report")
	opts := &BenchPipelineOptions{IO: ios, Now: time.Now, Users: []int{1, 3}, Interval: 20 * time.Millisecond, Vectors: 5,
		Duration: time.Second, Seed: 1, Trees: 10, Output: "json", Wait: 30 * time.Second, Report: report}
	opts.Deploy = DeployOptions{State: t.TempDir(), TLSName: "replay", Partitions: 2, Getenv: func(string) string { return "" }}
	if err := benchPipelineRun(context.Background(), opts); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out.String()), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("output %q: %v", out, err)
	}
	for _, r := range rows {
		if r["lost"].(float64) != 0 || r["decided"] != r["vectors"] || r["stored_vectors"] != r["vectors"] || r["stored_decisions"] != r["vectors"] ||
			r["vectors"].(float64) != 5*r["users"].(float64) {
			t.Errorf("row %v", r)
		}
		if r["service_mean_ms"].(float64) <= 0 || r["e2e_mean_ms"].(float64) < r["service_mean_ms"].(float64) {
			t.Errorf("latencies: service %v, end to end %v", r["service_mean_ms"], r["e2e_mean_ms"])
		}
	}
	for _, f := range []string{"tables/pipeline_users.md", "tables/pipeline_users.csv", "tables/pipeline_users.json", "plots/latency_users.png", "plots/latency_users.svg"} {
		if st, err := os.Stat(filepath.Join(report, f)); err != nil || st.Size() == 0 {
			t.Errorf("report file %s: %v", f, err)
		}
	}
}

func TestBenchPipelineSaturation(t *testing.T) {
	t.Parallel()
	ios, _, out, errOut := cli.TestIO()
	opts := &BenchPipelineOptions{IO: ios, Now: time.Now, Users: []int{4}, Rates: []float64{50, 100}, Interval: time.Second, Vectors: 1,
		Duration: time.Second, Seed: 1, Trees: 10, Output: "json", Wait: 30 * time.Second}
	opts.Deploy = DeployOptions{State: t.TempDir(), TLSName: "replay", Partitions: 2, Getenv: func(string) string { return "" }}
	if err := benchPipelineRun(context.Background(), opts); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out.String()), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("output %q: %v", out, err)
	}
	for _, r := range rows {
		if r["lost"].(float64) != 0 || r["stored_vectors"] != r["sent"] || r["achieved_per_s"].(float64) <= 0 || r["cpu_cores"].(float64) <= 0 || r["heap_mb"].(float64) <= 0 ||
			r["login_p99_ms"].(float64) <= 0 {
			t.Errorf("row %v", r)
		}
	}
}

func TestBenchModelLoadRun(t *testing.T) {
	t.Parallel()
	ios, _, out, errOut := cli.TestIO()
	opts := &BenchModelLoadOptions{IO: ios, Now: time.Now, Stores: []string{"file", "embedded", "cassandra"}, Users: 3, Repeat: 4,
		Trees: 5, Seed: 1, Output: "json"}
	opts.Deploy = DeployOptions{State: t.TempDir(), TLSName: "scorer", Partitions: 2, Getenv: func(string) string { return "" }}
	if err := benchModelLoadRun(context.Background(), opts); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out.String()), &rows); err != nil || len(rows) != 3 {
		t.Fatalf("output %q: %v", out, err)
	}
	for _, r := range rows[:2] {
		if r["loads"].(float64) != 12 || r["mean_ms"].(float64) <= 0 || r["p99_ms"].(float64) < r["p50_ms"].(float64) {
			t.Errorf("row %v", r)
		}
	}
	if rows[2]["note"] != "skipped: no --cassandra contact points" {
		t.Errorf("cassandra row %v", rows[2])
	}
}
