package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live/tail"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/live/wire"
)

func TestNewCmdLiveTail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args, wantErr string
		check         func(*TailOptions) bool
	}{
		{args: "", check: func(o *TailOptions) bool {
			return len(o.Sources) == 2 && o.Sources[0] == tail.Decisions && o.Sources[1] == tail.Alerts &&
				o.Deploy.State == "mouseauth-state" && o.Deploy.TLSName == "operator" && !o.FromBeginning && !o.NoFollow && o.Max == 0
		}},
		{args: "--topic features,mouseauth.logins --from-beginning --no-follow --max 3 --user user7", check: func(o *TailOptions) bool {
			return len(o.Sources) == 2 && o.Sources[0] == tail.Features && o.Sources[1] == tail.Logins &&
				o.FromBeginning && o.NoFollow && o.Max == 3 && o.User == "user7" && o.Deploy.TLSName == "scorer" // only the scorer reads inputs
		}},
		{args: "--topic features,mouseauth.deadletter,logins --cert admin", check: func(o *TailOptions) bool {
			return len(o.Sources) == 3 && o.Sources[1] == tail.DeadLetter && o.Deploy.TLSName == "admin"
		}},
		{args: "--topic features,deadletter", wantErr: "no role reads both"},
		{args: "--topic bogus", wantErr: `unknown topic "bogus"`},
		{args: "--max -1", wantErr: "--max cannot be negative"},
		{args: "--brokers k:9093", wantErr: "--brokers needs --pki-dir"},
		{args: "-v", wantErr: "unknown shorthand"},
	} {
		ios, _, _, _ := cli.TestIO()
		var got *TailOptions
		cmd := newCmdLiveTail(&cli.Factory{IO: ios}, func(_ context.Context, o *TailOptions) error { got = o; return nil })
		err := execArgs(ios, cmd, tc.args)
		if tc.wantErr != "" {
			wantUsageError(t, err, tc.wantErr)
			continue
		}
		if err != nil || !tc.check(got) {
			t.Errorf("%q: %v, %+v", tc.args, err, got)
		}
	}
}

// tailLines runs `mouseauth live tail args` on the state and returns its
// lines, decoded.
func tailLines(t *testing.T, ctx context.Context, args string, ready func(tail.Start)) ([]map[string]any, string, string, error) {
	t.Helper()
	ios, _, out, errOut := cli.TestIO()
	cmd := newCmdLiveTail(&cli.Factory{IO: ios}, func(ctx context.Context, o *TailOptions) error {
		o.Ready = ready
		return tailRun(ctx, o)
	})
	cmd.SetContext(ctx)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := execArgs(ios, cmd, args)
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if jerr := json.Unmarshal([]byte(l), &m); jerr != nil {
			t.Fatalf("not a JSON line: %v\n%s", jerr, l)
		}
		lines = append(lines, m)
	}
	return lines, out.String(), errOut.String(), err
}

func kinds(lines []map[string]any) map[string]int {
	n := map[string]int{}
	for _, l := range lines {
		n[l["kind"].(string)]++
	}
	return n
}

// TestLiveTailEmbedded produces v1 and v2 messages of every kind on the
// embedded cluster with the live/topics writer and tails them: from the
// beginning to the end, following new records, and from the broker's data
// after it stopped.
func TestLiveTailEmbedded(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	state := t.TempDir()
	cl, err := cluster.Start(ctx, cluster.Options{Dir: state, Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cl.Close() }()
	superTLS, superSASL := cl.Superuser()
	w := topics.NewWriter(cl.Brokers, superTLS, superSASL)
	defer w.Close()
	produce := func(msgs ...kafka.Message) {
		t.Helper()
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	key := wire.NewSessionKey()
	dec3, err := wire.SignDecision(wire.Decision{User: "user7", Session: "s1", Seq: 0, Accept: false, Sent: now}, key)
	if err != nil {
		t.Fatal(err)
	}
	alert3, err := wire.MarshalAlert(wire.Alert{User: "user7", Session: "s1", Seq: 0, Policy: "decide/1 rule=sequential", Statistic: -4.5, Score: 0.2, Flags: "none", At: now})
	if err != nil {
		t.Fatal(err)
	}
	vec2, err := wire.SignVector(nil, wire.Vector{User: "user7", Session: "s1", Seq: 0, Sent: now, Values: []float64{0.5, 2}}, key)
	if err != nil {
		t.Fatal(err)
	}
	login1 := append([]byte("M\x01L"), `{"user":"user7","session":"s1","client":"c","password":"`+tailSecret+`","sent":"2026-01-01T00:00:00Z"}`...)
	dead1 := append([]byte("M\x01X"), mustJSON(t, map[string]any{"topic": topics.Logins, "partition": 0, "offset": 3, "key": "user7",
		"reason": "bad password field", "value": login1, "at": now})...)
	k := []byte("user7")
	produce(
		kafka.Message{Topic: topics.Decisions, Key: k, Value: dec3},
		kafka.Message{Topic: topics.Decisions, Key: k, Value: append([]byte("M\x01D"), `{"user":"user7","session":"s0","seq":3,"accept":true,"score":0.9,"mean":0.8,"window":4,"threshold":0.5,"sent":"2026-01-01T00:00:00Z","service_ns":5}`...)},
		kafka.Message{Topic: topics.Decisions, Key: []byte("user9"), Value: []byte("not a message")},
		kafka.Message{Topic: topics.Alerts, Key: k, Value: alert3},
		kafka.Message{Topic: topics.Features, Key: k, Value: vec2},
		kafka.Message{Topic: topics.Logins, Key: k, Value: login1},
		kafka.Message{Topic: topics.DeadLetter, Key: k, Value: dead1},
	)

	// From the beginning to the end, through the running broker (found by
	// its port file).
	lines, raw, stderr, err := tailLines(t, ctx, "--state "+state+" --from-beginning --no-follow", nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if got := kinds(lines); got["decision"] != 2 || got["alert"] != 1 || got["error"] != 1 || len(lines) != 4 {
		t.Errorf("default topics from the beginning: kinds %v\n%s", got, raw)
	}
	if !strings.Contains(stderr, "runs at "+cl.Brokers[0]) || !strings.Contains(stderr, "live tail: 4 records") {
		t.Errorf("stderr does not say it read the running broker, or the count:\n%s", stderr)
	}
	versions := map[float64]int{}
	for _, l := range lines {
		if l["kind"] == "decision" {
			versions[l["v"].(float64)]++
		}
		if kf := l["kafka"].(map[string]any); kf["topic"] == nil || kf["offset"] == nil {
			t.Errorf("no kafka position: %v", l)
		}
	}
	if versions[1] != 1 || versions[3] != 1 {
		t.Errorf("decisions by version %v", versions)
	}
	for _, l := range lines {
		if _, ok := l["score"]; ok && l["kind"] == "decision" && l["v"] == 3.0 {
			t.Errorf("a version 3 decision shows a score: %v", l)
		}
		if l["kind"] == "alert" && l["statistic"] != -4.5 {
			t.Errorf("the alert does not show the rule's statistic to the operator: %v", l)
		}
	}

	// Every topic: vectors decoded, logins and their dead letters without
	// the password. The inputs are read as the scorer, the dead letters
	// as the operator.
	lines, raw, stderr, err = tailLines(t, ctx, "--state "+state+" --from-beginning --no-follow --topic logins,features", nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	dead, deadRaw, stderr, err := tailLines(t, ctx, "--state "+state+" --from-beginning --no-follow --topic deadletter", nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	lines, raw = append(lines, dead...), raw+deadRaw
	if got := kinds(lines); got["login"] != 1 || got["vector"] != 1 || got["dead_letter"] != 1 || len(lines) != 3 {
		t.Errorf("logins, features, dead letters: kinds %v\n%s", got, raw)
	}
	if strings.Contains(raw, tailSecret) || strings.Contains(raw, "password\"") {
		t.Errorf("a password is shown:\n%s", raw)
	}
	for _, l := range lines {
		if l["kind"] == "vector" {
			if vs := l["values"].([]any); len(vs) != 2 || vs[1] != 2.0 {
				t.Errorf("vector values %v", l["values"])
			}
		}
	}
	lines, _, _, err = tailLines(t, ctx, "--state "+state+" --from-beginning --no-follow --user user9", nil)
	if err != nil || len(lines) != 1 || lines[0]["kind"] != "error" {
		t.Errorf("--user user9: %v, %v", err, lines)
	}

	// Following from the end: only what is written after the start, until
	// --max lines.
	type result struct {
		lines []map[string]any
		err   error
	}
	ready := make(chan tail.Start, 1)
	res := make(chan result, 1)
	go func() {
		l, _, _, err := tailLines(t, ctx, "--state "+state+" --topic alerts --max 2", func(s tail.Start) { ready <- s })
		res <- result{l, err}
	}()
	select {
	case s := <-ready:
		if len(s.Topics) != 1 || s.Topics[0] != topics.Alerts || s.Partitions[topics.Alerts] != 2 {
			t.Errorf("start %+v", s)
		}
	case r := <-res:
		t.Fatalf("the tail ended before it started: %v", r.err)
	}
	for i := range 3 {
		a, _ := wire.MarshalAlert(wire.Alert{User: "user8", Session: "s2", Seq: int64(i), Statistic: -4, Score: 0.1, Flags: "none", At: now})
		produce(kafka.Message{Topic: topics.Alerts, Key: []byte("user8"), Value: a})
	}
	r := <-res
	if r.err != nil || len(r.lines) != 2 {
		t.Fatalf("follow --max 2: %v, %d lines %v", r.err, len(r.lines), r.lines)
	}
	for _, l := range r.lines {
		if l["user"] != "user8" {
			t.Errorf("an old record was shown when following from the end: %v", l)
		}
	}

	// With the broker stopped, the tail starts it from its data.
	cl.Close()
	lines, raw, stderr, err = tailLines(t, ctx, "--state "+state+" --from-beginning --no-follow --topic alerts", nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if len(lines) != 4 || !strings.Contains(stderr, "no broker runs") {
		t.Errorf("from the stored data: %d lines\n%s\n%s", len(lines), raw, stderr)
	}
}

func TestLiveTailWithoutState(t *testing.T) {
	t.Parallel()
	none := filepath.Join(t.TempDir(), "none")
	_, _, _, err := tailLines(t, context.Background(), "--state "+none+" --no-follow", nil)
	if err == nil || !strings.Contains(err.Error(), "no embedded state in") {
		t.Errorf("err = %v", err)
	}
	if _, statErr := os.Stat(none); statErr == nil {
		t.Error("the tail created a state folder")
	}
}

const tailSecret = "hunter2-Tr0ub4dor"

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
