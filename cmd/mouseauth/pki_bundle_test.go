package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live/deploy"
)

// TestPKIBundleRun writes a bundle from an embedded state with no broker
// running, and reports its files, their modes and what each holds.
func TestPKIBundleRun(t *testing.T) {
	state := t.TempDir()
	if _, err := cluster.EnsurePKI(filepath.Join(state, "pki"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := deploy.LoadKeys(state); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(state, "kafka.port"), []byte("40123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "ws1")
	ios, _, stdout, _ := cli.TestIO()
	o := &PKIBundleOptions{pkiCommon: pkiCommon{IO: ios, Now: time.Now}, State: state, Client: "ws1", Users: []string{"User1", "User2"},
		Out: out, Validity: time.Hour, Wait: time.Second}
	if err := runPKIBundle(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	text := stdout.String()
	for _, want := range []string{"identity ws1, bound to User1, User2", "client.key       0600  its private key (the only copy)",
		"no 'live serve' runs on " + state, "mouseauth replay --bundle " + out} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	for _, f := range deploy.BundleFiles() {
		if !strings.Contains(text, f) {
			t.Errorf("output does not list %s", f)
		}
	}
	ios, _, stdout, _ = cli.TestIO()
	o.IO, o.Client, o.Out, o.Output = ios, "ws2", filepath.Join(t.TempDir(), "ws2"), "json"
	if err := runPKIBundle(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	if err := json.Unmarshal([]byte(stdout.String()), &rows); err != nil || len(rows) != len(deploy.BundleFiles()) {
		t.Fatalf("json: %v\n%s", err, stdout)
	}
	for _, r := range rows {
		if r["mode"] != "0600" {
			t.Errorf("%s: mode %s", r["file"], r["mode"])
		}
	}
}
