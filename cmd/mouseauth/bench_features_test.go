package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/preprocess"
)

func TestNewCmdBenchFeatures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, args, wantErr string
		want                BenchFeaturesOptions
	}{
		{name: "defaults", args: "--data d", want: BenchFeaturesOptions{Data: "d", Rounds: 3, Output: "table"}},
		{name: "flags", args: "--data d --workers 1 --rounds 1 --compat reference -o json",
			want: BenchFeaturesOptions{Data: "d", Workers: 1, Rounds: 1, Compat: preprocess.Reference, Output: "json"}},
		{name: "no data", args: "", wantErr: `required flag(s) "data" not set`},
		{name: "bad rounds", args: "--data d --rounds 0", wantErr: "--rounds >= 1"},
		{name: "bad compat", args: "--data d --compat x", wantErr: "--compat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := cli.TestIO()
			var got *BenchFeaturesOptions
			cmd := newCmdBenchFeatures(&cli.Factory{IO: ios}, func(_ context.Context, o *BenchFeaturesOptions) error {
				got = o
				return nil
			})
			err := execArgs(ios, cmd, tt.args)
			if tt.wantErr != "" {
				wantUsageError(t, err, tt.wantErr)
				return
			}
			if err != nil || got == nil {
				t.Fatalf("error %v, run called %v", err, got != nil)
			}
			if got.Data != tt.want.Data || got.Workers != tt.want.Workers || got.Rounds != tt.want.Rounds ||
				got.Compat != tt.want.Compat || got.Output != tt.want.Output {
				t.Errorf("options %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestBenchFeaturesRun(t *testing.T) {
	t.Parallel()
	dir := sessionsDir(t)
	ios, _, out, _ := cli.TestIO()
	// A clock that advances 1 s per reading: every timed run takes 1 s.
	now := time.Unix(0, 0)
	opts := &BenchFeaturesOptions{IO: ios, Data: dir, Rounds: 2, Output: "json", Workers: 2,
		Now: func() time.Time { now = now.Add(time.Second); return now }}
	if err := benchFeaturesRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out.String()), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	r := rows[0]
	// 4 sessions; 11+8+10+6+2 data rows, one malformed; 6 actions (clean).
	if r["files"] != 4.0 || r["events"] != 36.0 || r["actions"] != 6.0 || r["cores"] != 2.0 ||
		r["seconds"] != 1.0 || r["events_per_s_per_core"] != 18.0 || r["csv_rows"] != 41.0 {
		t.Errorf("figures %v", r)
	}
}
