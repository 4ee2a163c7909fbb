package account

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/decide"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/preprocess"
)

func randomRows(rng *rand.Rand, n int, shift float64) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, preprocess.NumFeatures)
		for j := range out[i] {
			out[i][j] = rng.Float64() + shift
		}
	}
	return out
}

// TestTrainModelRecordsSchema: an enrolment model says what its input is,
// live vectors: mouseauth's clean features, the 39 names in order.
func TestTrainModelRecordsSchema(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	b, err := TrainModel(context.Background(), "alice", 2, randomRows(rng, 20, 1), randomRows(rng, 40, 0),
		TrainOptions{Preset: classify.PresetReference, Params: map[string]any{"trees": 5}, Seed: 7}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	m, err := classify.Load(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	h := m.Header
	if h.Extractor != preprocess.ExtractorID || h.ExtractorVersion != preprocess.ExtractorVersion || h.Convention != "clean" ||
		!slices.Equal(h.FeatureNames, preprocess.FeatureNames[:]) || !h.SchemaKnown() || h.User != "alice" || h.Params["version"] != "2" ||
		h.Classifier != "rf" || h.Params["trees"] != "5" || h.Params["preset"] != "reference" {
		t.Errorf("header %+v", h)
	}
}

// TestTrainModelDeploysImprovedPreset: with no preset named, enrolment and
// retraining train what the evaluation recommends (classify's improved
// preset: gbdt, 8 negatives and 1 background negative per genuine row),
// and the model records its guard (physical bounds and the user's range)
// and the decision policy.
func TestTrainModelDeploysImprovedPreset(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	own, others := randomRows(rng, 30, 1), randomRows(rng, 400, 0)
	// --trees as replay and live serve pass it: a forest's parameter,
	// dropped for gbdt.
	b, err := TrainModel(context.Background(), "alice", 1, own, others, TrainOptions{Params: map[string]any{"trees": 50}, Seed: 7}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	m, err := CheckModel(b)
	if err != nil {
		t.Fatal(err)
	}
	h := m.Header
	want, _ := classify.Preset(classify.PresetImproved)
	if h.Classifier != want.Classifier || h.Params["preset"] != "improved" || h.Params["negative_ratio"] != "8" ||
		h.Params["background_rows"] != "30" || h.Genuine != 30 || h.Impostor != 240 {
		t.Errorf("header %+v, want the improved preset (%s, 8 negatives and 1 background negative per genuine row)", h, want.Classifier)
	}
	if _, ok := h.Params["trees"]; ok {
		t.Errorf("gbdt model records trees: %v", h.Params)
	}
	if h.Bounds == nil || h.Range == nil || h.FormatVersion != classify.FormatVersion {
		t.Fatalf("no guard: bounds %v, range %v, format %d", h.Bounds != nil, h.Range != nil, h.FormatVersion)
	}
	if h.Decision != decide.DefaultPolicy().String() {
		t.Errorf("decision %q, want the default policy %q", h.Decision, decide.DefaultPolicy().String())
	}
	// The training rows are inside their own range (they are random, so
	// not physically plausible: the range is checked directly).
	for i, x := range own {
		if c := (&classify.SavedModel{Header: classify.Header{FeatureNames: h.FeatureNames, Range: h.Range}}).Check(x); c.Novel || c.Implausible {
			t.Errorf("training row %d: %+v", i, c)
		}
	}
}

// TestTrainModelDecision: the policy given is checked by the decision
// engine and recorded as it writes it; a bad one trains nothing.
func TestTrainModelDecision(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	own, others := randomRows(rng, 20, 1), randomRows(rng, 40, 0)
	p := decide.WindowPolicy(10, decide.AggLogOdds, 0.4)
	o := TrainOptions{Preset: classify.PresetReference, Params: map[string]any{"trees": 3}, Decision: p.String()}
	b, err := TrainModel(context.Background(), "bob", 1, own, others, o, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	m, err := CheckModel(b)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decide.ParsePolicy(m.Header.Decision); err != nil || got != p {
		t.Errorf("recorded policy %q (%v), want %v", m.Header.Decision, err, p)
	}
	for _, bad := range []string{"decide/1 rule=window n=0", "not a policy", "decide/1 rule=sequential\x00"} {
		o.Decision = bad
		if _, err := TrainModel(context.Background(), "bob", 1, own, others, o, time.Unix(0, 0)); err == nil {
			t.Errorf("policy %q: trained", bad)
		}
	}
	o.Decision, o.Preset = "", "fast"
	if _, err := TrainModel(context.Background(), "bob", 1, own, others, o, time.Unix(0, 0)); err == nil || !strings.Contains(err.Error(), "unknown preset") {
		t.Errorf("preset fast: %v", err)
	}
}

// TestEnrollRecordsDecision: the policy given at enrolment is recorded in
// the stored model (replacing the model's), a bad one stores nothing, and
// a policy without a model is refused.
func TestEnrollRecordsDecision(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	model, err := TrainModel(context.Background(), "carol", 1, randomRows(rng, 20, 1), randomRows(rng, 40, 0),
		TrainOptions{Preset: classify.PresetReference, Params: map[string]any{"trees": 3}}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	p := decide.WindowPolicy(20, decide.AggMean, 0.6)
	creds, models := newMemStores()
	e := Enrolment{User: "carol", Password: "pw", Model: model, Decision: p.String(), Argon2: &cheap}
	if _, err := Enroll(context.Background(), creds, models, e); err != nil {
		t.Fatal(err)
	}
	m, err := CheckModel(models.models["carol"])
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decide.ParsePolicy(m.Header.Decision); err != nil || got != p {
		t.Errorf("stored policy %q (%v), want %v", m.Header.Decision, err, p)
	}
	for _, bad := range []Enrolment{
		{User: "dave", Password: "pw", Model: model, Decision: "decide/1 rule=never", Argon2: &cheap},
		{User: "erin", Password: "pw", Decision: p.String(), Argon2: &cheap},
	} {
		if _, err := Enroll(context.Background(), creds, models, bad); err == nil {
			t.Errorf("%s: enrolled", bad.User)
		}
		if _, ok := creds.creds[bad.User]; ok {
			t.Errorf("%s: a credential was stored", bad.User)
		}
	}
}

// memStores are in-memory credential and model stores for enrolment
// tests.
type memCreds struct{ creds map[string]store.Credential }

func (m *memCreds) PutCredential(_ context.Context, c store.Credential) error {
	m.creds[c.User] = c
	return nil
}
func (m *memCreds) Credential(_ context.Context, user string) (store.Credential, error) {
	c, ok := m.creds[user]
	if !ok {
		return c, store.ErrNotFound
	}
	return c, nil
}
func (m *memCreds) RecordFailure(context.Context, string, string, time.Time) (store.Credential, store.ClientFailures, error) {
	return store.Credential{}, store.ClientFailures{}, nil
}
func (m *memCreds) RecordSuccess(context.Context, string, string, time.Time) error { return nil }
func (m *memCreds) ClientFailures(_ context.Context, user, client string) (store.ClientFailures, error) {
	return store.ClientFailures{User: user, Client: client}, nil
}
func (m *memCreds) Lockouts(context.Context) ([]store.ClientFailures, error) { return nil, nil }
func (m *memCreds) Unlock(context.Context, string, string) error             { return nil }
func (m *memCreds) Close() error                                             { return nil }

type memModels struct{ models map[string][]byte }

func (m *memModels) PutModel(_ context.Context, sm store.Model) error {
	if _, ok := m.models[sm.User]; ok {
		return store.ErrVersionExists
	}
	m.models[sm.User] = sm.Data
	return nil
}
func (m *memModels) LatestModel(_ context.Context, user string) (store.Model, error) {
	d, ok := m.models[user]
	if !ok {
		return store.Model{}, store.ErrNotFound
	}
	return store.Model{User: user, Version: 1, Data: d}, nil
}
func (m *memModels) ModelUsers(context.Context) ([]string, error) { return nil, nil }
func (m *memModels) Close() error                                 { return nil }

func newMemStores() (*memCreds, *memModels) {
	return &memCreds{creds: map[string]store.Credential{}}, &memModels{models: map[string][]byte{}}
}
