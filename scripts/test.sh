#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need
# (Go modules; MariaDB, Chromium, kcat, jq and python3 from Debian's packages when running as
# root with apt), then gofmt, go mod tidy -diff, go vet, staticcheck,
# deadcode and the race-enabled tests.
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
# staticcheck and deadcode at fixed versions, built through the module proxy
# (tools, not dependencies: go.mod does not list them). Both must be silent:
# no finding, no function that neither the program nor a test reaches.
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# The slow checks run beside the race-enabled tests, each in the
# background with its output in a file of its own, printed when it ends:
# deadcode (half a CPU-minute: it loads the whole program from source) and
# the non-race pass below. The race run's slowest packages (live,
# cmd/mouseauth) wait on brokers and paced sessions more than they compute,
# and the suite ends when they end; so the background jobs run at a lower
# CPU priority (nice 10), like the race run's other test binaries
# (scripts/test-exec), and fill the cores those two leave idle instead of
# slowing them. The script waits for each job and fails if any of them
# failed. Each job is a process group of its own (set -m), so that Ctrl-C or
# an early exit stops it too.
logs=$(mktemp -d)
jobs_started=()
stop_jobs() {
  local pid
  for pid in "${jobs_started[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  rm -rf "$logs"
}
trap stop_jobs EXIT
trap 'exit 130' INT TERM
background() { # background NAME COMMAND...: runs COMMAND with its output in $logs/NAME
  local name=$1
  shift
  set -m
  (renice -n 10 -p "$BASHPID" >/dev/null || true; "$@") >"$logs/$name" 2>&1 &
  set +m
  jobs_started+=($!)
}
deadcode_check() {
  local dead
  dead=$(go run golang.org/x/tools/cmd/deadcode@v0.52.0 -test ./...)
  if [ -n "$dead" ]; then
    printf '%s\n' "$dead"
    echo "deadcode -test: the functions above are reached by nothing (remove them, or test them)"
    return 1
  fi
}
background deadcode deadcode_check
deadcode_pid=$!

# The tests of pure computation skip under the race detector, which makes
# them 5 to 16 times slower (testutil.SkipUnderRace: the whole-file checks
# against the published figures, gbdt against its slow reference, the
# Balabit extraction, figure rendering); run them without it (unless
# arguments chose the tests). They are found in the test files: each
# top-level test whose body calls testutil.SkipUnderRace. One go test per
# folder, one after the other, in one background job.
norace_pid=
if [ $# -eq 0 ]; then
  norace=$(awk 'FNR == 1 || /^func / { name = "" }
    /^func Test[A-Za-z0-9_]*\(/ { name = $2; sub(/\(.*/, "", name) }
    /testutil\.SkipUnderRace\(/ && name != "" { dir = FILENAME; sub(/\/[^\/]*$/, "", dir); print dir, name }' \
    $(git ls-files '*_test.go' 2>/dev/null || find . -name '*_test.go') | sort -u)
  if [ -z "$norace" ]; then
    echo "no test calls testutil.SkipUnderRace: the script's search is broken" >&2
    exit 1
  fi
  norace_run() {
    local dir names status=0
    for dir in $(printf '%s\n' "$norace" | cut -d' ' -f1 | sort -u); do
      names=$(printf '%s\n' "$norace" | awk -v d="$dir" '$1 == d { print $2 }' | paste -sd'|')
      go test -count=1 -timeout 15m -run "^($names)\$" "./$dir" || status=1
    done
    return $status
  }
  background norace norace_run
  norace_pid=$!
fi

# The live and command packages first: their tests wait on brokers and
# paced sessions more than they compute, so they start at once, and four
# test binaries run at a time (-p 4; go test's default is one per core) so
# that the other packages, at a lower priority (scripts/test-exec), fill the
# cores beside them. A race-enabled program sleeps a second before it exits
# so that other threads can finish a report (GORACE atexit_sleep_ms); a
# race found fails its test before that, so the suite does not wait: each
# test binary and each child process the live tests start would.
# scripts/test-exec keeps the first packages' test binaries (named after the
# folder: live.test, mouseauth.test) at their priority.
first=(./live ./cmd/mouseauth)
status=0
GORACE=atexit_sleep_ms=0 go test -race -p 4 -timeout 25m -exec "'$PWD/scripts/test-exec' $(printf '%s.test ' "${first[@]##*/}")--" \
  "$@" "${first[@]}" ./... || status=1

collect() { # collect NAME PID: waits for a background job and prints its output; a failure fails the script
  wait "$2" || status=1
  cat "$logs/$1"
}
collect deadcode "$deadcode_pid" >&2
if [ -n "$norace_pid" ]; then
  echo "== the tests of pure computation, without -race" >&2
  collect norace "$norace_pid"
fi
jobs_started=() # all waited for
exit $status
