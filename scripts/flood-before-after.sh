#!/usr/bin/env bash
# What a flood of wrong passwords costs honest users, before login budgets
# and now, measured by one program in one run: bench/flood.go (which uses
# only what the tree before budgets offered) is copied into that tree,
# built beside this one, and run in both (go test -run TestFloodFigures).
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

figures() { # dir label clients
  echo "== $2, flood clients: $3"
  (cd "$1" && MOUSEAUTH_FLOOD=$n MOUSEAUTH_FLOOD_CLIENTS=$3 go test -count=1 -timeout 60m -v -run '^TestFloodFigures$' ./bench) 2>&1 |
    grep -v -e '^=== ' -e '^--- ' -e '^PASS' -e '^ok ' -e 'time='
}
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(go version)"
figures "$tmp" "before: $old" one
figures "$root" "after: $(git -C "$root" rev-parse --short HEAD)" one
figures "$root" "after: $(git -C "$root" rev-parse --short HEAD)" forged
echo "machine: load $(cut -d' ' -f1-3 /proc/loadavg) at the end"
