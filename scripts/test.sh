#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need
# (Go modules; MariaDB, Chromium, kcat, jq and python3 from Debian's packages when running as
# root with apt), then gofmt, go mod tidy -diff, go vet and the race-enabled
# tests.
#
# Tests that need a server or a browser skip with a message where it is
# missing; with MOUSEAUTH_REQUIRE_ALL=1 (CI sets it) they fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v kcat >/dev/null 2>&1 || need+=(kcat)
command -v jq >/dev/null 2>&1 || need+=(jq)   # the README's live tail examples
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need[*]} (Debian packages) ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=120 update -qq >&2
    apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends "${need[@]}" >&2
  else
    echo "note: ${need[*]} missing and not root: the tests that need them will skip" >&2
  fi
fi

go mod download
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
# go.mod and go.sum must be what 'go mod tidy' makes of them; -diff prints
# the changes it would make and exits non-zero without touching the files.
if ! tidy_diff=$(go mod tidy -diff); then
  printf '%s\n' "$tidy_diff" >&2
  echo "go mod tidy would change go.mod/go.sum (diff above): run 'go mod tidy' and commit both" >&2
  exit 1
fi
go vet ./...
go test -race -timeout 25m "$@" ./...
# The default preset's multi-seed check against the published figures
# (evaluate.TestImprovedPresetBeatsPublished, seeds 0-2, about 2 minutes)
# and gbdt's check against its slow reference training on DFL-500
# (classify.TestGBDTMatchesOracleDFL) skip under the race detector, which
# makes them 16 times slower: run them without (unless arguments chose the
# tests).
if [ $# -eq 0 ]; then
  go test -count=1 -timeout 15m -run '^TestImprovedPresetBeatsPublished$' ./evaluate
  go test -count=1 -timeout 15m -run '^TestGBDTMatchesOracleDFL$' ./classify
fi
