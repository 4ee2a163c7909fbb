package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/decide"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/deploy"
	"github.com/mouseauth/mouseauth/preprocess"
	"github.com/mouseauth/mouseauth/replay"
)

func TestNewCmdReplay(t *testing.T) {
	tests := []struct {
		name, args, wantErr string
		users               []int
		check               func(*ReplayOptions) bool
	}{
		{name: "defaults", args: "", users: []int{6}, check: func(o *ReplayOptions) bool {
			return o.Deploy.State == "mouseauth-state" && o.Deploy.TLSName == "replay" && o.Impostors == 2 && o.Speed == 1 && o.Decision == ""
		}},
		{name: "range", args: "--user-counts 1:3,7 --interval 500ms --max-actions 40", users: []int{1, 2, 3, 7}, check: func(o *ReplayOptions) bool {
			return o.Interval == 500*time.Millisecond && o.MaxActions == 40
		}},
		{name: "a count", args: "--users 14", users: []int{14}, check: func(o *ReplayOptions) bool { return true }},
		{name: "bad users", args: "--users 0", wantErr: "--users must be at least 1"},
		{name: "bad count", args: "--user-counts 0,3", wantErr: "not a positive count"},
		{name: "bad range", args: "--user-counts 5:2", wantErr: "not a count, list or range"},
		{name: "users is a count", args: "--users x", wantErr: `invalid argument "x" for "--users"`},
		{name: "brokers without tls", args: "--brokers k:9093", wantErr: "--brokers needs --pki-dir"},
		{name: "bad speed", args: "--speed 0", wantErr: "--speed must be positive"},
		{name: "one session", args: "--sessions 1", wantErr: "--sessions must be at least 2"},
		{name: "bad profiles", args: "--profiles redis", wantErr: "--profiles \"redis\""},
		{name: "cassandra without hosts", args: "--profiles cassandra", wantErr: "needs --cassandra"},
		{name: "mysql without dsn", args: "--profiles mysql", wantErr: "MOUSEAUTH_MYSQL_DSN"},
		{name: "bad output", args: "-o yaml", wantErr: "yaml"},
		{name: "a decision policy", args: "--decision decide/1", users: []int{6}, check: func(o *ReplayOptions) bool { return o.Decision == "decide/1" }},
		{name: "bad decision policy", args: "--decision rule=window", wantErr: `--decision: invalid decision policy: "rule=window" does not start with "decide/1"`},
		{name: "window is gone", args: "--window 10", wantErr: "unknown flag: --window"},
		{name: "bundle", args: "--bundle ws1 --password-file pw.txt --users 4", users: []int{4}, check: func(o *ReplayOptions) bool {
			return o.Bundle == "ws1" && o.PasswordFile == "pw.txt" && o.NoService
		}},
		{name: "bundle without password", args: "--bundle ws1", wantErr: "--bundle needs the replayed users' password"},
		{name: "bundle with brokers", args: "--bundle ws1 --password-file pw.txt --brokers k:9093", wantErr: "--brokers goes with it only on the scorer's side"},
		{name: "bundle with a state", args: "--bundle ws1 --password-file pw.txt --state s", wantErr: "--state goes with it only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := cli.TestIO()
			var got *ReplayOptions
			cmd := newCmdReplay(&cli.Factory{IO: ios, Now: time.Now}, func(_ context.Context, o *ReplayOptions) error { got = o; return nil })
			t.Setenv("MOUSEAUTH_MYSQL_DSN", "")
			err := execArgs(ios, cmd, tt.args)
			if tt.wantErr != "" {
				wantUsageError(t, err, tt.wantErr)
				return
			}
			if err != nil || got == nil {
				t.Fatalf("error %v, run called %v", err, got != nil)
			}
			if jsonOf(got.Users) != jsonOf(tt.users) || !tt.check(got) {
				t.Errorf("options %+v", *got)
			}
		})
	}
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestReplayRunEmbedded runs the whole embedded default through the
// command: broker, store, service, enrolment, replay, table.
func TestReplayRunEmbedded(t *testing.T) {
	t.Parallel()
	ios, _, out, errOut := cli.TestIO()
	var results []replay.Result
	opts := &ReplayOptions{IO: ios, Now: time.Now, Users: []int{2, 4}, Sessions: 3, Actions: 60, Seed: 3, Impostors: 2,
		Speed: 1, Interval: -1, Wait: time.Minute, Trees: 30, Output: "json",
		Result: func(r []replay.Result) { results = r }}
	opts.Deploy = DeployOptions{State: t.TempDir(), TLSName: "replay", Partitions: 4, Getenv: func(string) string { return "" }}
	opts.PasswordFile = filepath.Join(t.TempDir(), "pw.txt")
	if err := os.WriteFile(opts.PasswordFile, []byte("the replayed users' password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := replayRun(context.Background(), opts); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out.String()), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("output %q: %v", out, err)
	}
	for i, r := range rows {
		if r["sent"] != r["decided"] || r["sent"] != r["stored_vectors"] || r["sent"] != r["stored_decisions"] || r["sent"].(float64) == 0 {
			t.Errorf("round %d: sent %v decided %v stored %v vectors and %v decisions", i, r["sent"], r["decided"], r["stored_vectors"], r["stored_decisions"])
		}
	}
	if rows[0]["users"].(float64) != 2 || rows[1]["users"].(float64) != 4 || rows[1]["sent"].(float64) <= rows[0]["sent"].(float64) {
		t.Errorf("rounds: %v", rows)
	}
	last := results[len(results)-1]
	if last.ImpostorSessions != 2 || last.ImpostorAlerts != 2 {
		t.Errorf("impostors %d, alerted %d", last.ImpostorSessions, last.ImpostorAlerts)
	}
	if !strings.Contains(errOut.String(), "impostor caught:") {
		t.Errorf("stderr does not report the impostor:\n%s", errOut)
	}
	// The state survives: a second run reuses the CA, the broker's data,
	// the stored models and the stored passwords, which it never changes:
	// without the users' password it refuses.
	opts.Users = []int{2}
	if err := replayRun(context.Background(), opts); err != nil {
		t.Fatalf("second run: %v\n%s", err, errOut)
	}
	pw := opts.PasswordFile
	opts.PasswordFile = ""
	if err := replayRun(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "never overwrites a password") {
		t.Fatalf("a run without the users' password: %v", err)
	}
	opts.PasswordFile = pw
	if _, err := os.Stat(filepath.Join(opts.Deploy.State, "pki", "ca.crt")); err != nil {
		t.Fatal(err)
	}
}

// TestServeAndReplay runs `live serve` on the embedded default and a
// `replay --no-service` client against it, as two terminals would, and
// checks /healthz, /metrics and the drain on shutdown. Not parallel: it
// runs the printed commands as written, from a working directory of its
// own (t.Chdir).
func TestServeAndReplay(t *testing.T) {
	state := t.TempDir()
	ios, _, _, serveErr := cli.TestIO()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan string, 1)
	var ready <-chan struct{}
	readyFile := filepath.Join(t.TempDir(), "serve.ready")
	sopts := &ServeOptions{IO: ios, Retrain: -1, Trees: 10, Seed: 1, Group: "g",
		Listen: "127.0.0.1:0", LogLevel: "warn", Lockout: 5, LockFor: time.Minute, ReadyFile: readyFile,
		Started: func(a string, r <-chan struct{}) { ready = r; started <- a }}
	sopts.Deploy = DeployOptions{State: state, TLSName: "scorer", Partitions: 4, Getenv: func(string) string { return "" }}
	done := make(chan error, 1)
	go func() { done <- serveRun(ctx, sopts) }()
	var addr string
	select {
	case addr = <-started:
	case err := <-done:
		t.Fatalf("serve stopped before starting: %v\n%s", err, serveErr)
	}
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve stopped: %v\n%s", err, serveErr)
	}
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The ready file says the same as Started, for a supervisor.
	var rf deploy.Ready
	testutil.Eventually(t, time.Minute, func() bool {
		var err error
		rf, err = deploy.ReadReadyFile(readyFile)
		return err == nil
	}, "the ready file")
	if rf.Metrics != addr || rf.PID != os.Getpid() || rf.Group != "g" || len(rf.Brokers) != 1 {
		t.Errorf("ready file %+v, want metrics %s, this pid, group g, the embedded broker", rf, addr)
	}
	if fi, err := os.Stat(readyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("ready file mode: %v %v", fi, err)
	}
	var health live.HealthReport
	if code, body := get("/healthz"); code != 200 || json.Unmarshal([]byte(body), &health) != nil || health.Status != "ok" || len(health.Partitions) != 8 {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	// The replay command is in serve's output; the client reads it the
	// same way a user would.
	// The printed commands: a client bundle, then a replay from it.
	printed := map[string]string{}
	for _, line := range strings.Split(serveErr.String(), "\n") {
		for _, marker := range []string{"bound to its users): ", "(pw.txt: the users' password): "} {
			if _, c, ok := strings.Cut(line, marker); ok {
				printed[marker] = c
			}
		}
	}
	bundleWords := strings.Fields(printed["bound to its users): "])
	replayWords := strings.Fields(printed["(pw.txt: the users' password): "])
	if len(bundleWords) < 3 || bundleWords[1] != "pki" || len(replayWords) < 3 || !slices.Contains(replayWords, "--bundle") ||
		!slices.Contains(replayWords, "10ms") || !strings.Contains(serveErr.String(), "recorded speed") {
		t.Fatalf("serve did not print the bundle and the replay from it, in seconds:\n%s", serveErr)
	}
	// The scorer's side enrols four users with pw.txt's password: the
	// shared replay identity, against the served broker.
	t.Chdir(t.TempDir())
	if err := os.WriteFile("pw.txt", []byte("the users' password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	brokers := brokerOf(t, serveErr.String())
	rios, _, _, rerr := cli.TestIO()
	var results []replay.Result
	ropts := &ReplayOptions{IO: rios, Now: time.Now, Users: []int{4}, Sessions: 2, Actions: 40, Seed: 5, Impostors: 1,
		Speed: 1, Interval: -1, Wait: time.Minute, Trees: 20, Output: "table", NoService: true,
		PasswordFile: "pw.txt", Getenv: func(string) string { return "" }, Result: func(r []replay.Result) { results = r }}
	ropts.Deploy = DeployOptions{State: state, Brokers: []string{brokers}, TLSDir: filepath.Join(state, "pki"), TLSName: "replay",
		Partitions: 4, Getenv: func(string) string { return "" },
		SASL: SASLFlags{User: cluster.UserReplay, PasswordFile: cluster.PasswordPath(state, cluster.UserReplay), Mechanism: "SCRAM-SHA-512"}}
	if err := replayRun(context.Background(), ropts); err != nil {
		t.Fatalf("replay: %v\n%s", err, rerr)
	}
	if r := results[0]; r.Sent == 0 || r.Decided != r.Sent || r.ImpostorAlerts != 1 {
		t.Fatalf("replay against serve: sent %d decided %d impostor alerts %d", r.Sent, r.Decided, r.ImpostorAlerts)
	}
	// The printed commands as written: the bundle is admitted by the
	// running broker; the replay from it ends in seconds, every vector
	// decided.
	run := func(words []string) string {
		t.Helper()
		pios, _, pout, perr := cli.TestIO()
		root := newCmdRoot(&cli.Factory{IO: pios, Now: time.Now})
		root.SetArgs(words[1:])
		if err := root.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("%s: %v\n%s\nSERVE:\n%s", strings.Join(words, " "), err, perr, serveErr)
		}
		return pout.String()
	}
	if out := run(bundleWords); !strings.Contains(out, "the running broker at "+brokers+" admitted ws1") {
		t.Fatalf("the printed bundle command:\n%s", out)
	}
	start := time.Now()
	var rounds []map[string]any
	if err := json.Unmarshal([]byte(run(append(replayWords, "-o", "json"))), &rounds); err != nil || len(rounds) != 1 {
		t.Fatalf("%v printed rounds %v (%v)", replayWords, rounds, err)
	}
	if r := rounds[0]; r["users"] != 4.0 || r["sent"] != r["decided"] || r["sent"] != r["sessions"].(float64)*30 || r["forged"] != 0.0 || r["logins_refused"] != 0.0 {
		t.Errorf("the printed replay: %v", r)
	}
	t.Logf("the printed replay took %.1f s", time.Since(start).Seconds())
	code, metrics := get("/metrics")
	if code != 200 || !strings.Contains(metrics, "mouseauth_decisions_total") || !strings.Contains(metrics, "mouseauth_decision_seconds_bucket") {
		t.Fatalf("/metrics: %d\n%.500s", code, metrics)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve after SIGTERM-like cancel: %v", err)
	}
	if !strings.Contains(serveErr.String(), "stopped after") {
		t.Errorf("no drain summary:\n%s", serveErr)
	}
	if _, err := os.Stat(readyFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the ready file outlived serve: %v", err)
	}
	if strings.Contains(serveErr.String()+rerr.String(), "password=") {
		t.Error("a password was logged")
	}
}

func TestEnrollAndStatus(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	deploy := DeployOptions{State: state, TLSName: "scorer", Partitions: 2, Getenv: func(string) string { return "" }}
	// A model from `classify train` on a small feature file whose columns
	// are the pipeline's features, in the pipeline's order (the values are
	// those of a published file: any numbers train a model).
	small, err := os.ReadFile("testdata/evaluate_small.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(small), "\n", 2)
	pipelineCSV := filepath.Join(t.TempDir(), "pipeline.csv")
	if err := os.WriteFile(pipelineCSV, []byte(strings.Join(preprocess.FeatureNames[:], ",")+",userid\n"+lines[1]), 0o600); err != nil {
		t.Fatal(err)
	}
	train := func(features string) string {
		models := filepath.Join(t.TempDir(), "models")
		ios, _, _, errOut := cli.TestIO()
		if err := trainRun(context.Background(), &TrainOptions{IO: ios, Features: features, Out: models, Classifier: "rf",
			Trees: 5, Seed: 1, Output: "table", Now: time.Now, Load: loadFeatures}); err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		return models
	}
	models := train(pipelineCSV)
	published := train("testdata/evaluate_small.csv") // the published files' names and order
	entries, _ := os.ReadDir(models)
	if len(entries) < 2 {
		t.Fatalf("classify train wrote %d models", len(entries))
	}
	user := strings.TrimSuffix(entries[0].Name(), ".model")
	other := strings.TrimSuffix(entries[1].Name(), ".model")
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("s3cret-horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	enroll := func(u, model string, in string, env map[string]string) error {
		ios, stdin, _, _ := cli.TestIO()
		stdin.WriteString(in)
		o := &EnrollOptions{IO: ios, Deploy: deploy, User: u, Department: "finance", Model: model, Now: time.Now,
			Getenv: func(k string) string { return env[k] }}
		if in == "" && env == nil {
			o.PasswordFile = pwFile
		}
		return enrollRun(context.Background(), o)
	}
	if err := enroll(user, filepath.Join(models, entries[0].Name()), "", nil); err != nil {
		t.Fatal(err)
	}
	if err := enroll(other, filepath.Join(models, entries[1].Name()), "from-stdin\n", map[string]string{}); err != nil {
		t.Fatal(err)
	}
	if err := enroll(user, filepath.Join(models, entries[1].Name()), "x\n", map[string]string{}); err == nil || !strings.Contains(err.Error(), "not "+user+"'s") {
		t.Fatalf("enrolling another user's model: %v", err)
	}
	// A model for the published files' feature order would score the
	// pipeline's vectors wrong: refused, naming the first feature that
	// differs.
	if err := enroll("erin", filepath.Join(published, entries[0].Name()), "x\n", map[string]string{}); err == nil ||
		!strings.Contains(err.Error(), `the model's feature 1 is "elapsedTime", the pipeline sends "type_of_action" there (not enrolled)`) {
		t.Fatalf("enrolling a model of the published feature order: %v", err)
	}
	if err := enroll("carol", "", "\n", map[string]string{}); err == nil || !strings.Contains(err.Error(), "empty password") {
		t.Fatalf("empty password: %v", err)
	}
	if err := enroll("dave", "", "", map[string]string{"MOUSEAUTH_PASSWORD": "from-env"}); err != nil {
		t.Fatal(err)
	}
	sios, _, out, _ := cli.TestIO()
	if err := statusRun(context.Background(), &StatusOptions{IO: sios, Deploy: deploy, Output: "json", Now: time.Now}); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out.String()), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("status %q: %v", out, err)
	}
	if rows[0]["model_version"].(float64) != 1 || rows[0]["vectors"].(float64) != 0 {
		t.Errorf("status rows %v", rows)
	}
	files, _ := filepath.Glob(filepath.Join(state, "mouseauth.db*")) // the database and its WAL
	if len(files) == 0 {
		t.Fatal("no database file")
	}
	for _, f := range files {
		db, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, pw := range []string{"s3cret-horse", "from-stdin", "from-env"} {
			if strings.Contains(string(db), pw) {
				t.Errorf("%s contains the password %q", f, pw)
			}
		}
	}
}

// TestNewCmdLiveEnrollDecision: --decision needs a model and a policy the
// decision engine reads.
func TestNewCmdLiveEnrollDecision(t *testing.T) {
	policy := decide.DefaultPolicy().String()
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--user", "u", "--decision", policy}, "--decision is recorded in the model: give --model"},
		{[]string{"--user", "u", "--model", "m", "--decision", "bogus"}, "--decision: invalid decision policy"},
		{[]string{"--user", "u", "--model", "m", "--decision", policy}, ""},
	} {
		ios, _, _, _ := cli.TestIO()
		var got *EnrollOptions
		cmd := newCmdLiveEnroll(&cli.Factory{IO: ios}, func(_ context.Context, o *EnrollOptions) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(ios.Out)
		cmd.SetErr(ios.ErrOut)
		err := cmd.Execute()
		if tc.wantErr != "" {
			wantUsageError(t, err, tc.wantErr)
			continue
		}
		if err != nil || got.Model != "m" || got.Decision != policy {
			t.Errorf("%v: %v, %+v", tc.args, err, got)
		}
	}
}

func TestServeModelCacheFlag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args    string
		want    int
		wantErr string
	}{
		{args: "", want: live.DefaultModelCacheBytes >> 20},
		{args: "--model-cache 64", want: 64},
		{args: "--model-cache 0", wantErr: "--model-cache 0: want at least 1 MiB"},
		{args: "--model-cache -5", wantErr: "--model-cache -5"},
	} {
		ios, _, _, _ := cli.TestIO()
		var got *ServeOptions
		cmd := newCmdLiveServe(&cli.Factory{IO: ios}, func(_ context.Context, o *ServeOptions) error { got = o; return nil })
		err := execArgs(ios, cmd, tc.args)
		if tc.wantErr != "" {
			wantUsageError(t, err, tc.wantErr)
			continue
		}
		if err != nil || got == nil || got.ModelCache != tc.want {
			t.Errorf("%q: %v, model cache %v; want %d MiB", tc.args, err, got, tc.want)
		}
	}
}
