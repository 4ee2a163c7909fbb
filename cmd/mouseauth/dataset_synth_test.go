package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/internal/cli"
)

func TestNewCmdDatasetSynth(t *testing.T) {
	for _, tc := range []struct {
		name, args, wantErr string
		check               func(*SynthOptions) bool
	}{
		{"defaults", "--out o", "", func(o *SynthOptions) bool { return o.Users == 10 && o.Sessions == 3 && o.Seed == 1 && o.Actions == 300 }},
		{"set", "--out o --users 3 --sessions 2 --seed 9 --actions 20 --start 2026-02-01T08:00:00Z", "", func(o *SynthOptions) bool {
			return o.Users == 3 && o.Sessions == 2 && o.Seed == 9 && o.Actions == 20 && o.Start.Month() == 2
		}},
		{"no out", "--users 3", "--out is required", nil},
		{"zero users", "--out o --users 0", "must be positive", nil},
		{"bad start", "--out o --start yesterday", "--start must be", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, _ := cli.TestIO()
			var got *SynthOptions
			cmd := newCmdDatasetSynthF(&cli.Factory{IO: ios}, func(_ context.Context, o *SynthOptions) error { got = o; return nil })
			cmd.SetArgs(strings.Fields(tc.args))
			cmd.SetOut(ios.Out)
			cmd.SetErr(ios.ErrOut)
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || cli.ExitCode(err) != cli.ExitUsage {
					t.Fatalf("err = %v, want usage error %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got == nil || !tc.check(got) {
				t.Fatalf("err = %v, opts = %+v", err, got)
			}
		})
	}
}

func TestSynthRun(t *testing.T) {
	ios, _, out, _ := cli.TestIO()
	dir := filepath.Join(t.TempDir(), "synth")
	opts := &SynthOptions{IO: ios, Out: dir}
	opts.Users, opts.Sessions, opts.Actions, opts.Seed = 2, 2, 10, 5
	if err := synthRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "wrote 2 users, 4 sessions") {
		t.Errorf("out = %q", out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "User*", "*.CSV"))
	if len(files) != 4 {
		t.Fatalf("files = %v", files)
	}
	b, _ := os.ReadFile(files[0])
	if !strings.HasPrefix(string(b), "client timestamp,button,state,x,y\n") {
		t.Errorf("not a DFL log: %.60q", b)
	}
	// A second run into the same folder is refused without --force.
	if err := synthRun(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second run: %v", err)
	}
	opts.Force = true
	if err := synthRun(context.Background(), opts); err != nil {
		t.Errorf("--force: %v", err)
	}
}
