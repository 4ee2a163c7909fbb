package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/testutil"
)

func TestBenchClassifyRun(t *testing.T) {
	t.Parallel()
	features := testutil.Data(t, "features/dfl_39feat_PC_MM_DD_50.csv")
	ios, _, out, _ := cli.TestIO()
	opts := &BenchClassifyOptions{IO: ios, Load: loadFeatures, Features: features, Trees: 5, Output: "json"}
	if err := benchClassifyRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out.String()), &rows); err != nil || len(rows) != 3 {
		t.Fatalf("%v: %s", err, out)
	}
	for _, r := range rows {
		if r["fit_seconds"].(float64) <= 0 || r["score_us"].(float64) <= 0 || r["users"].(float64) != 21 {
			t.Errorf("row %v", r)
		}
	}
}
