#!/usr/bin/env bash
# What a flood of wrong passwords costs honest users, before login budgets
# and now, measured by one program in one run: bench/flood.go (which uses
# only what the tree before budgets offered) is copied into that tree,
# built beside this one, and run in both (go test -run TestFloodFigures).
# Who sends what differs between the trees (bench/flood_clients.go and the
# test's pipeline): before client identities every login was the shared
# client's; now the flood comes from the shared identity and each honest
# user logs in from a workstation identity bound to them. The script
# writes the older tree's versions of those two files.
#
#   scripts/flood-before-after.sh            # 2000 logins; the old tree is OLD (default a5586ee)
#   MOUSEAUTH_FLOOD=500 scripts/flood-before-after.sh
#
# Each run: honest sessions stream vectors; a second in, the flood is
# written in one produce request and 8 honest users log in behind it. It
# prints, per tree, the honest logins' latency (send to answer) and
# answers, the in-flight vectors' p99 with and without the flood, and how
# the service answered the flood. On the tree before budgets the flood
# takes minutes. Timings depend on the machine: compare the two trees of
# one run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
old=${OLD:-a5586ee}
n=${MOUSEAUTH_FLOOD:-2000}
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
git -C "$root" archive "$old" | tar -x -C "$tmp"
cp "$root/bench/flood.go" "$root/bench/flood_figures_test.go" "$tmp/bench/"
cat > "$tmp/bench/flood_clients.go" <<'GO'
package bench

import (
	"context"

	"github.com/mouseauth/mouseauth/live/wire"
)

// floodClients: before client identities, every login is the pipeline's
// client's, naming the client it plays.
func floodClients(_ context.Context, p Pipeline, users []string) (floodClient, map[string]floodClient, error) {
	c := floodClient{tls: p.Client, sasl: p.ClientSASL, decisions: p.Topics.Decisions,
		seal: func(l wire.Login) ([]byte, wire.SessionKey, error) { return wire.SealLogin(p.Keys.Public(), l) }}
	honest := map[string]floodClient{}
	for _, u := range users {
		honest[u] = c
	}
	return c, honest, nil
}
GO
cat > "$tmp/bench/flood_pipeline_test.go" <<'GO'
package bench_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mouseauth/mouseauth/bench"
	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live/store/embedded"
)

func floodPipeline(t *testing.T) bench.Pipeline {
	t.Helper()
	ctx := context.Background()
	cl, err := cluster.Start(ctx, cluster.Options{Dir: t.TempDir(), Partitions: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	st, err := embedded.Open(ctx, filepath.Join(cl.Dir, "mouseauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return bench.Pipeline{Brokers: cl.Brokers, Client: cl.ReplayTLS, Scorer: cl.ScorerTLS, ClientSASL: cl.ReplaySASL, ScorerSASL: cl.ScorerSASL, Profiles: st, Credentials: st}
}
GO

figures() { # dir label
  echo "== $2"
  (cd "$1" && MOUSEAUTH_FLOOD=$n go test -count=1 -timeout 60m -v -run '^TestFloodFigures$' ./bench) 2>&1 |
    grep -v -e '^=== ' -e '^--- ' -e '^PASS' -e '^ok ' -e 'time='
}
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(go version)"
figures "$tmp" "before: $old"
figures "$root" "after: $(git -C "$root" rev-parse --short HEAD)"
echo "machine: load $(cut -d' ' -f1-3 /proc/loadavg) at the end"
