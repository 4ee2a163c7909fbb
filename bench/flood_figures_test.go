package bench_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/bench"
)

// TestFloodFigures prints what a flood of MOUSEAUTH_FLOOD wrong passwords
// costs honest users, beside the
// same run without it. It asserts nothing about time:
// scripts/flood-before-after.sh runs it on the tree before login budgets
// and on this one. Skipped unless MOUSEAUTH_FLOOD is set.
func TestFloodFigures(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("MOUSEAUTH_FLOOD"))
	if n <= 0 {
		t.Skip("set MOUSEAUTH_FLOOD=2000 to measure a flood (minutes on the tree before login budgets)")
	}
	res, err := bench.RunFlood(context.Background(), floodPipeline(t), bench.FloodOptions{Logins: n,
		Seed: 1, Wait: 20 * time.Minute, Notes: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(bench.FloodReport(res))
}
