package bench_test

import (
	"context"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/bench"
)

// TestFlood runs a small flood: every flood login is answered (RunFlood
// fails otherwise), the honest users log in behind it, most of the flood
// is refused before a check, and the baseline refuses nothing. Times are
// printed, not asserted (TestFloodFigures measures them).
func TestFlood(t *testing.T) {
	res, err := bench.RunFlood(context.Background(), floodPipeline(t), bench.FloodOptions{Logins: 150, Users: 3,
		Vectors: 100, Interval: 20 * time.Millisecond, Trees: 5, Seed: 1, Wait: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + bench.FloodReport(res))
	b, f := res.Baseline, res.Flood
	if b.Accepted != 3 || f.Accepted != 3 || f.Refused != 0 || f.LoggedIn != 3 {
		t.Errorf("honest logins: baseline %d accepted, flood %d accepted and %d refused of %d", b.Accepted, f.Accepted, f.Refused, f.LoggedIn)
	}
	checked := f.Results["wrong password"] + f.Results["unknown user"]
	if f.Results["over budget"]+f.Results["backing off"] < 100 || checked > 40 {
		t.Errorf("the flood of 150: %v", f.Results)
	}
	if b.Results["over budget"] != 0 || b.Results["wrong password"] != 0 {
		t.Errorf("the baseline: %v", b.Results)
	}
	if f.Vectors.N == 0 || f.LaterVectors.N != 3*50 {
		t.Errorf("vectors measured: in flight %d, of the later sessions %d", f.Vectors.N, f.LaterVectors.N)
	}
}
