package account

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/preprocess"
)

// TestTrainModelRecordsSchema: an enrolment model says what its input is,
// live vectors: mouseauth's clean features, the 39 names in order.
func TestTrainModelRecordsSchema(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	rows := func(n int, shift float64) [][]float64 {
		out := make([][]float64, n)
		for i := range out {
			out[i] = make([]float64, preprocess.NumFeatures)
			for j := range out[i] {
				out[i][j] = rng.Float64() + shift
			}
		}
		return out
	}
	b, err := TrainModel(context.Background(), "alice", 2, rows(20, 1), rows(40, 0),
		TrainOptions{Params: map[string]any{"trees": 5}, Seed: 7}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	m, err := classify.Load(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	h := m.Header
	if h.Extractor != preprocess.ExtractorID || h.ExtractorVersion != preprocess.ExtractorVersion || h.Convention != "clean" ||
		!slices.Equal(h.FeatureNames, preprocess.FeatureNames[:]) || !h.SchemaKnown() || h.User != "alice" || h.Params["version"] != "2" {
		t.Errorf("header %+v", h)
	}
}
