package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/cli"
)

func TestNewCmdLiveUnlock(t *testing.T) {
	tests := []struct {
		name, args, wantErr string
		want                UnlockOptions
	}{
		{name: "every client", args: "--user User1", want: UnlockOptions{User: "User1"}},
		{name: "one client", args: "--user User1 --login-client ws-017", want: UnlockOptions{User: "User1", Client: "ws-017"}},
		{name: "no user", args: "--login-client ws-017", wantErr: "--user is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := cli.TestIO()
			var got *UnlockOptions
			cmd := newCmdLiveUnlock(&cli.Factory{IO: ios}, func(_ context.Context, o *UnlockOptions) error {
				got = o
				return nil
			})
			err := execArgs(ios, cmd, tt.args)
			if tt.wantErr != "" {
				wantUsageError(t, err, tt.wantErr)
				return
			}
			if err != nil || got == nil || got.User != tt.want.User || got.Client != tt.want.Client || got.Deploy.TLSName != "scorer" {
				t.Fatalf("options %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestStatusLockoutsAndUnlock: failed logins show in `live status` (the
// user's count) and `live status --lockouts` (per client, with the wait),
// and `live unlock` clears them, one client or all.
func TestStatusLockoutsAndUnlock(t *testing.T) {
	state := t.TempDir()
	deploy := DeployOptions{State: state, TLSName: "scorer", Partitions: 1, Getenv: func(string) string { return "" }}
	ios, stdin, _, _ := cli.TestIO()
	stdin.WriteString("pw\n")
	if err := enrollRun(context.Background(), &EnrollOptions{IO: ios, Deploy: deploy, User: "User1", Now: time.Now, Getenv: func(string) string { return "" }}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	env, err := deploy.openStores(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 { // 6 from ws-a: it waits 2 s from its last
		if _, _, err := env.Credentials.RecordFailure(context.Background(), "User1", "ws-a", now.Add(time.Duration(i)*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := env.Credentials.RecordFailure(context.Background(), "User1", "ws-b", now); err != nil {
		t.Fatal(err)
	}
	env.Close()
	lockouts := func() []map[string]any {
		t.Helper()
		ios, _, out, _ := cli.TestIO()
		if err := statusRun(context.Background(), &StatusOptions{IO: ios, Deploy: deploy, Output: "json", Lockouts: true, Lockout: 5, LockFor: 15 * time.Minute,
			Now: func() time.Time { return now.Add(time.Second) }}); err != nil {
			t.Fatal(err)
		}
		var rows []map[string]any
		if err := json.Unmarshal([]byte(out.String()), &rows); err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		return rows
	}
	rows := lockouts()
	if len(rows) != 3 || rows[0]["client"] != "-" || rows[0]["failures"].(float64) != 7 || rows[0]["waits_until"] != "-" ||
		rows[1]["client"] != "ws-a" || rows[1]["failures"].(float64) != 6 || rows[1]["waits_until"] != "2026-11-22T12:00:02Z" ||
		rows[2]["client"] != "ws-b" || rows[2]["waits_until"] != "-" {
		t.Fatalf("status --lockouts: %v", rows)
	}
	uios, _, _, uerr := cli.TestIO()
	if err := unlockRun(context.Background(), &UnlockOptions{IO: uios, Deploy: deploy, User: "User1", Client: "ws-a"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(uerr.String(), "unlocked User1: failed-login counts of client ws-a cleared") {
		t.Errorf("unlock said %q", uerr)
	}
	if rows := lockouts(); len(rows) != 2 || rows[1]["client"] != "ws-b" {
		t.Fatalf("after unlocking ws-a: %v", rows)
	}
	if err := unlockRun(context.Background(), &UnlockOptions{IO: uios, Deploy: deploy, User: "User1"}); err != nil {
		t.Fatal(err)
	}
	if rows := lockouts(); len(rows) != 0 {
		t.Fatalf("after unlocking User1: %v", rows)
	}
	if err := unlockRun(context.Background(), &UnlockOptions{IO: uios, Deploy: deploy, User: "nobody"}); err == nil || !strings.Contains(err.Error(), `unlock "nobody": no such user`) {
		t.Errorf("unlocking an unknown user: %v", err)
	}
	// An enrolment name the wire refuses never reaches the store.
	ios, stdin, _, _ = cli.TestIO()
	stdin.WriteString("pw\n")
	err = enrollRun(context.Background(), &EnrollOptions{IO: ios, Deploy: deploy, User: "evil\x1b[31m", Now: time.Now, Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), "control character U+001B") {
		t.Errorf("enrolling a name with an escape: %v", err)
	}
}
