package evaluate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/preprocess"
)

func TestTableConventionAndSchema(t *testing.T) {
	t.Parallel()
	ours := &preprocess.Table{Extractor: preprocess.ExtractorID, Convention: "clean"}
	old := &preprocess.Table{Extractor: preprocess.ExtractorID} // no convention column
	pub := &preprocess.Table{Extractor: preprocess.PublishedExtractor, Convention: "reference"}
	for _, tc := range []struct {
		d            *preprocess.Table
		compat, want string
		err          string
	}{
		{d: ours, want: "clean"},
		{d: ours, compat: "clean", want: "clean"},
		{d: ours, compat: "reference", err: "f.csv holds clean features, as its convention column says: --compat reference contradicts it"},
		{d: old, want: ""},
		{d: old, compat: "reference", want: "reference"},
		{d: pub, compat: "clean", err: "as a published file (a userid column) made by the published extractor"},
	} {
		got, err := TableConvention("f.csv", tc.d, tc.compat)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v, %q: err %v, want %q", tc.d, tc.compat, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%+v, %q: %q, %v; want %q", tc.d, tc.compat, got, err, tc.want)
		}
	}
	s, err := TableSchema("f.csv", ours, "")
	if err != nil || s != (Schema{preprocess.ExtractorID, preprocess.ExtractorVersion, "clean"}) || !s.Known() {
		t.Errorf("mouseauth's table: %+v, %v", s, err)
	}
	s, _ = TableSchema("f.csv", &preprocess.Table{}, "")
	if s != (Schema{classify.SchemaUnknown, "", classify.SchemaUnknown}) || s.Known() {
		t.Errorf("a table that says nothing: %+v", s)
	}
	if s, _ = TableSchema("f.csv", pub, ""); s.ExtractorVersion != "" || s.Convention != "reference" {
		t.Errorf("a published table: %+v", s)
	}
}

func TestTrainModelsAndExtractCompat(t *testing.T) {
	t.Parallel()
	d := synth(4, 40, 3, 0.3, 1)
	d.Names = []string{"a", "b", "c"}
	d.Extractor, d.Convention = preprocess.ExtractorID, "reference"
	schema, err := TableSchema("f.csv", d, "")
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	o := TrainOptions{Classifier: "logreg", NegativeRatio: 2, Seed: 7, Schema: schema, Now: func() time.Time { return created }}
	var planned int
	models := Models{ByUser: map[string]*classify.SavedModel{}}
	err = TrainModels(context.Background(), "f.csv", d, o, func(n int) { planned = n }, func(m TrainedModel) error {
		if m.Genuine != 40 || m.Impostor != 80 {
			t.Errorf("%s: %d genuine, %d impostor rows; want 40 and 80", m.User, m.Genuine, m.Impostor)
		}
		h := m.Model.Header
		if h.User != m.User || h.Convention != "reference" || h.Seed != 7 || !h.Created.Equal(created) || !slices.Equal(h.FeatureNames, d.Names) {
			t.Errorf("%s: header %+v", m.User, h)
		}
		models.ByUser[m.User] = m.Model
		return nil
	})
	if err != nil || planned != 4 || len(models.ByUser) != 4 {
		t.Fatalf("TrainModels: %v, planned %d, %d models", err, planned, len(models.ByUser))
	}
	// One user alone gets the model it gets in the batch.
	o.User = "u2"
	var alone *classify.SavedModel
	if err := TrainModels(context.Background(), "f.csv", d, o, nil, func(m TrainedModel) error { alone = m.Model; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, x := range d.X[:10] {
		if a, b := alone.Model.Score(x), models.ByUser["u2"].Model.Score(x); a != b {
			t.Fatalf("u2 alone scores %v, in the batch %v", a, b)
		}
	}
	o.User = "nobody"
	if err := TrainModels(context.Background(), "f.csv", d, o, nil, nil); err == nil || !strings.Contains(err.Error(), `f.csv: no user "nobody" (users: u0, u1, u2, u3)`) {
		t.Errorf("unknown user: %v", err)
	}
	stop := errors.New("stop")
	o.User = ""
	if err := TrainModels(context.Background(), "f.csv", d, o, nil, func(TrainedModel) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("save's error: %v", err)
	}

	// The models' convention decides the extraction; --compat may only repeat it.
	if c, err := models.ExtractCompat("m", ""); err != nil || c != preprocess.Reference {
		t.Errorf("ExtractCompat: %v, %v", c, err)
	}
	if _, err := models.ExtractCompat("m", "clean"); err == nil || !strings.Contains(err.Error(), "--compat clean, but the models in m were trained on reference features") {
		t.Errorf("contradicting --compat: %v", err)
	}
	unknown := Models{ByUser: map[string]*classify.SavedModel{}}
	for u, m := range models.ByUser {
		c := *m
		c.Header.Convention = classify.SchemaUnknown
		unknown.ByUser[u] = &c
	}
	if _, err := unknown.ExtractCompat("m", ""); err == nil || !strings.Contains(err.Error(), "give --compat clean or reference") {
		t.Errorf("unknown convention without --compat: %v", err)
	}
	if c, err := unknown.ExtractCompat("m", "clean"); err != nil || c != preprocess.Clean {
		t.Errorf("unknown convention, --compat clean: %v, %v", c, err)
	}
	newer := *models.ByUser["u0"]
	newer.Header.ExtractorVersion = preprocess.ExtractorVersion + "9"
	single := Models{Single: &newer}
	if _, err := single.ExtractCompat("m", ""); err == nil || !strings.Contains(err.Error(), "retrain it") {
		t.Errorf("another extractor version: %v", err)
	}
	other := newer
	other.Header.Extractor = "someone/else"
	if _, err := (Models{Single: &other}).ExtractCompat("m", ""); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", "someone/else")) {
		t.Errorf("an unknown extractor: %v", err)
	}
	if models.PublishedModel() != nil {
		t.Error("PublishedModel found one among mouseauth's")
	}
	pub := newer
	pub.Header.Extractor = preprocess.PublishedExtractor
	if (Models{Single: &pub}).PublishedModel() != &pub {
		t.Error("PublishedModel missed a published model")
	}
}
