package classify

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func savedForest(t *testing.T) (*SavedModel, [][]float64) {
	t.Helper()
	X, y := toy(9, 200, 6, 0.8)
	m, err := Forest{Trees: 15}.Fit(context.Background(), X, y, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	return &SavedModel{Header: Header{Params: map[string]string{"trees": "15"}, FeatureNames: []string{"a", "b", "c", "d", "e", "f"},
		Extractor: "mouseauth/preprocess", ExtractorVersion: "1", Convention: "reference", User: "user7", Genuine: 100, Impostor: 100, Seed: 3, Created: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}, Model: m}, X
}

// TestModelRoundTrip: a loaded model scores bit for bit like the saved one
// and keeps its header.
func TestModelRoundTrip(t *testing.T) {
	t.Parallel()
	sm, X := savedForest(t)
	var b bytes.Buffer
	if err := Save(&b, sm); err != nil {
		t.Fatal(err)
	}
	got, err := Load(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want := sm.Header
	want.Classifier, want.FormatVersion = "rf", FormatVersion
	if !reflect.DeepEqual(got.Header, want) {
		t.Errorf("header = %+v\nwant     %+v", got.Header, want)
	}
	if !got.Header.SchemaKnown() {
		t.Error("schema not known")
	}
	for i, x := range X {
		if a, b := sm.Model.Score(x), got.Model.Score(x); a != b {
			t.Fatalf("row %d: saved %v, loaded %v", i, a, b)
		}
	}
}

func TestModelLoadErrors(t *testing.T) {
	t.Parallel()
	sm, _ := savedForest(t)
	var b bytes.Buffer
	if err := Save(&b, sm); err != nil {
		t.Fatal(err)
	}
	good := b.Bytes()
	mod := func(f func([]byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrNotAModel},
		{"not a model", []byte("user,session,action\n"), ErrNotAModel},
		{"short magic", []byte("MAUTH"), ErrTruncated},
		{"future version", mod(func(p []byte) []byte { p[9] = 9; return p }), ErrUnsupportedVersion},
		{"too large", append(append([]byte(nil), good...), make([]byte, MaxFileSize)...), ErrTooLarge},
		{"flipped byte", mod(func(p []byte) []byte { p[len(p)/2] ^= 0x10; return p }), ErrChecksum},
		{"truncated", good[:len(good)-9], ErrTruncated},
		{"no checksum", good[:len(good)-4], ErrTruncated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Load(bytes.NewReader(tc.data)); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestModelV1Forest: a forest saved by the version 1 writer (before the
// feature schema; testdata/v1-forest.model, written by commit fdf8482)
// still loads, scores as it did then, and says its schema is unknown.
func TestModelV1Forest(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/v1-forest.model")
	if err != nil {
		t.Fatal(err)
	}
	sm, err := Load(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	h := sm.Header
	if h.FormatVersion != 1 || h.Extractor != SchemaUnknown || h.Convention != SchemaUnknown || h.SchemaKnown() ||
		h.User != "user7" || len(h.FeatureNames) != 6 {
		t.Errorf("header = %+v", h)
	}
	// Scores printed by the version 1 code for these vectors.
	for i, c := range []struct {
		x    []float64
		want float64
	}{
		{[]float64{3.0849108065439106, -0.7546860166742255, -1.2722266049617361, -0.23047816358132134, 0.9856555311310855, 0.4388139522235145}, 1},
		{[]float64{-0.009990178758919083, -0.0154608504050327, -0.8074645568444225, 0.19813231232648232, -2.1713904532796797, 0.5372964694195568}, 0},
		{[]float64{0.5746482042365416, -0.04096634584757411, -0.05770803744610098, 0.0016233448145528406, 0.5875384667967958, 1.0152071890666743}, 0.8},
	} {
		if got := sm.Model.Score(c.x); got != c.want {
			t.Errorf("vector %d: %v, version 1 scored %v", i, got, c.want)
		}
	}
	// Saved again it becomes a version 2 file that scores the same.
	var b bytes.Buffer
	if err := Save(&b, sm); err != nil {
		t.Fatal(err)
	}
	again, err := Load(&b)
	if err != nil {
		t.Fatal(err)
	}
	if again.Header.FormatVersion != FormatVersion || again.Header.Convention != SchemaUnknown {
		t.Errorf("re-saved header = %+v", again.Header)
	}
	X, _ := toy(11, 50, 6, 1)
	for i, x := range X {
		if a, b := sm.Model.Score(x), again.Model.Score(x); a != b {
			t.Fatalf("row %d: v1 %v, re-saved %v", i, a, b)
		}
	}
	if b.Len() >= len(data)/4 {
		t.Errorf("re-saved file %d bytes, version 1 %d: the compact encoding should be 4x smaller", b.Len(), len(data))
	}
}

// v2File assembles a version 2 file around a header and a payload, with a
// valid checksum.
func v2File(t *testing.T, hdr Header, payload []byte) []byte {
	t.Helper()
	h, err := json.Marshal(hdr)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString(magic)
	binary.Write(&b, binary.BigEndian, uint16(2))
	binary.Write(&b, binary.BigEndian, uint32(len(h)))
	b.Write(h)
	binary.Write(&b, binary.BigEndian, uint32(len(payload)))
	b.Write(payload)
	binary.Write(&b, binary.BigEndian, crc32.Checksum(b.Bytes(), castagnoli))
	return b.Bytes()
}

func payloadOf(t *testing.T, m Model) []byte {
	t.Helper()
	p, _, err := encodePayload(m)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func scalerBytes(s Scaler) []byte {
	e := &enc{}
	encodeScaler(e, s)
	return e.b
}

func f32(v float32) []byte { return binary.BigEndian.AppendUint32(nil, math.Float32bits(v)) }
func f64(v float64) []byte { return binary.BigEndian.AppendUint64(nil, math.Float64bits(v)) }
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// TestLoadRefusesInvalidModels: files with a valid checksum (anyone can
// compute it) whose model does not fit its schema or holds impossible
// values are refused by Load with ErrInvalid and a message saying what is
// wrong; none reaches Score.
func TestLoadRefusesInvalidModels(t *testing.T) {
	t.Parallel()
	hdr := func(classifier string, n int) Header {
		return Header{Classifier: classifier, FeatureNames: names(n), Extractor: "x", Convention: "clean"}
	}
	sc := func(n int) Scaler {
		s := Scaler{Mean: make([]float64, n), Scale: make([]float64, n)}
		for j := range s.Scale {
			s.Scale[j] = 1
		}
		return s
	}
	lr := func(n int) *LogRegModel { return &LogRegModel{Scaler: sc(n), W: make([]float64, n)} }
	mlp := func(in, hidden, out int) *MLPModel {
		return &MLPModel{Scaler: sc(in), Sizes: []int{in, hidden, out},
			W: [][]float64{make([]float64, in*hidden), make([]float64, hidden*out)}, B: [][]float64{make([]float64, hidden), make([]float64, out)}}
	}
	km := func(n, k int) *KMeansModel {
		m := &KMeansModel{Scaler: sc(n), Scale: 1}
		for range k {
			m.Centroids = append(m.Centroids, make([]float64, n))
		}
		return m
	}
	nanLR := lr(39)
	nanLR.W[7] = math.NaN()
	zeroScale := lr(39)
	zeroScale.Scaler.Scale[3] = 0
	nanMLP := mlp(39, 4, 1)
	nanMLP.B[0][2] = math.Inf(1)
	shortCentroid := km(39, 2)
	shortCentroid.Centroids[1] = shortCentroid.Centroids[1][:38]
	badScale := km(39, 2)
	badScale.Scale = 0

	split32 := func(f int, thr float32) []byte {
		return cat([]byte{byte(tagSplitShort + 2*maxShortFeature + f)}, f32(thr))
	}
	leaf := func(v float64) []byte { return cat([]byte{tagLeaf64}, f64(v)) }
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"v1 forest naming feature 60 of 39", v1File(t, hdr("rf", 39),
			v1Forest(61, [5]float64{60, 1, 2, 0.5, 0}, [5]float64{-1, 0, 0, 0, 1}, [5]float64{-1, 0, 0, 0, 0})), "feature 60; the schema has 39"},
		{"v1 forest of another width", v1File(t, hdr("rf", 39),
			v1Forest(61, [5]float64{3, 1, 2, 0.5, 0}, [5]float64{-1, 0, 0, 0, 1}, [5]float64{-1, 0, 0, 0, 0})), "for 61 features, the header names 39"},
		{"v1 forest child pointing back (cycle)", v1File(t, hdr("rf", 39),
			v1Forest(39, [5]float64{3, 1, 2, 0.5, 0}, [5]float64{4, 2, 0, 0.5, 0}, [5]float64{-1, 0, 0, 0, 0})), "node 1: children are not in preorder"},
		{"v1 forest left child skipping a node", v1File(t, hdr("rf", 39),
			v1Forest(39, [5]float64{3, 2, 2, 0.5, 0}, [5]float64{-1, 0, 0, 0, 1}, [5]float64{-1, 0, 0, 0, 0})), "left child 2 is not the next node"},
		{"v1 forest right child back to the root", v1File(t, hdr("rf", 39),
			v1Forest(39, [5]float64{3, 1, 0, 0.5, 0}, [5]float64{-1, 0, 0, 0, 1}, [5]float64{-1, 0, 0, 0, 0})), "not in preorder"},
		{"v1 forest child out of range", v1File(t, hdr("rf", 39),
			v1Forest(39, [5]float64{3, 1, 7, 0.5, 0}, [5]float64{-1, 0, 0, 0, 1}, [5]float64{-1, 0, 0, 0, 0})), "not in preorder"},
		{"v1 forest NaN threshold", v1File(t, hdr("rf", 39),
			v1Forest(39, [5]float64{3, 1, 2, math.NaN(), 0}, [5]float64{-1, 0, 0, 0, 1}, [5]float64{-1, 0, 0, 0, 0})), "threshold NaN"},
		{"v1 forest NaN leaf", v1File(t, hdr("rf", 39),
			v1Forest(39, [5]float64{3, 1, 2, 0.5, 0}, [5]float64{-1, 0, 0, 0, math.NaN()}, [5]float64{-1, 0, 0, 0, 0})), "leaf value NaN"},
		{"v1 logreg (gob)", v1File(t, hdr("logreg", 39), []byte{1, 2, 3}), "only version 1 forests"},
		{"forest naming feature 60 of 39", v2File(t, hdr("rf", 39), cat([]byte{1, 3}, split32(60, 0.5), []byte{tagLeaf0, tagLeaf1})), "feature 60; the schema has 39"},
		{"forest naming feature 300 (long form)", v2File(t, hdr("rf", 39), cat([]byte{1, 3, tagSplit64, 0xac, 0x02}, f64(0.5), []byte{tagLeaf0, tagLeaf1})), "feature 300"},
		{"forest NaN threshold", v2File(t, hdr("rf", 39), cat([]byte{1, 3}, split32(2, float32(math.NaN())), []byte{tagLeaf0, tagLeaf1})), "threshold NaN"},
		{"forest infinite threshold", v2File(t, hdr("rf", 39), cat([]byte{1, 3, tagSplit64, 2}, f64(math.Inf(-1)), []byte{tagLeaf0, tagLeaf1})), "threshold -Inf"},
		{"forest NaN leaf", v2File(t, hdr("rf", 39), cat([]byte{1, 3}, split32(2, 0.5), leaf(math.NaN()), []byte{tagLeaf1})), "leaf value NaN"},
		{"forest leaf above 1", v2File(t, hdr("rf", 39), cat([]byte{1, 3}, split32(2, 0.5), leaf(1.5), []byte{tagLeaf1})), "leaf value 1.5"},
		{"forest leaf 0/0", v2File(t, hdr("rf", 39), cat([]byte{1, 3}, split32(2, 0.5), []byte{tagLeafNibbles, 0x00, tagLeaf1})), "leaf value NaN"},
		{"forest leaf 5/3", v2File(t, hdr("rf", 39), cat([]byte{1, 3}, split32(2, 0.5), []byte{tagLeafBytes, 5, 3, tagLeaf1})), "leaf value 1.66"},
		{"forest leaf 1/0", v2File(t, hdr("rf", 39), cat([]byte{1, 3}, split32(2, 0.5), []byte{tagLeafNibbles, 0x10, tagLeaf1})), "leaf value +Inf"},
		{"forest tree cut short", v2File(t, hdr("rf", 39), cat([]byte{1, 3}, split32(2, 0.5), []byte{tagLeaf0})), "truncated"},
		{"forest missing tree", v2File(t, hdr("rf", 39), []byte{2, 1, tagLeaf1}), "tree 1 node 0: model file is truncated"},
		{"forest node count above the bytes", v2File(t, hdr("rf", 39), []byte{1, 9, tagLeaf1}), "nodes: 9 in 1 bytes"},
		{"forest node count lies", v2File(t, hdr("rf", 39), []byte{1, 2, tagLeaf1, tagLeaf1}), "1 nodes in the trees, 2 declared"},
		{"forest no trees", v2File(t, hdr("rf", 39), []byte{0}), "0 trees"},
		{"forest bytes after the trees", v2File(t, hdr("rf", 39), []byte{1, 1, tagLeaf1, tagLeaf1}), "1 bytes after"},
		{"malaschitz naming feature 39 of 39", v2File(t, hdr("malaschitz", 39), cat([]byte{1, 3}, split32(39, 0.5), []byte{tagLeaf0, tagLeaf1})), "feature 39; the schema has 39"},
		{"logreg of 38 weights for 39 features", v2File(t, hdr("logreg", 39), payloadOf(t, lr(38))), "the model is for 38 features, the schema names 39"},
		{"logreg of 40 weights for 39 features", v2File(t, hdr("logreg", 39), payloadOf(t, lr(40))), "the model is for 40 features, the schema names 39"},
		{"logreg NaN weight", v2File(t, hdr("logreg", 39), payloadOf(t, nanLR)), "weight[7] is NaN"},
		{"logreg zero scale", v2File(t, hdr("logreg", 39), payloadOf(t, zeroScale)), "scale[3] is 0"},
		{"mlp of 38 inputs for 39 features", v2File(t, hdr("mlp", 39), cat(scalerBytes(sc(39)), payloadOf(t, mlp(38, 4, 1))[1+38*16:])), "input layer of 38 units for 39"},
		{"mlp of 2 outputs", v2File(t, hdr("mlp", 39), payloadOf(t, mlp(39, 4, 2))), "output layer of 2 units"},
		{"mlp infinite bias", v2File(t, hdr("mlp", 39), payloadOf(t, nanMLP)), "layer 0 bias[2] is +Inf"},
		{"kmeans centroid of 38 values", v2File(t, hdr("kmeans", 39), cat(scalerBytes(sc(39)), []byte{2}, make([]byte, 8*(39+38)), f64(1))), "truncated"},
		{"kmeans no centroid", v2File(t, hdr("kmeans", 39), cat(scalerBytes(sc(39)), []byte{0}, f64(1))), "no centroids"},
		{"kmeans zero scale", v2File(t, hdr("kmeans", 39), payloadOf(t, badScale)), "scale 0"},
		{"no feature names", v2File(t, hdr("rf", 0), []byte{1, tagLeaf1}), "no feature names"},
		{"duplicate feature names", v2File(t, Header{Classifier: "rf", FeatureNames: []string{"a", "b", "a"}}, []byte{1, tagLeaf1}), `"a" at 1 and 3`},
		{"unknown classifier", v2File(t, Header{Classifier: "svm", FeatureNames: names(3)}, []byte{1, tagLeaf1}), `unknown classifier "svm"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sm, err := Load(bytes.NewReader(tc.file))
			if err == nil {
				_, perr := scoreOrPanic(sm.Model, make([]float64, 39))
				t.Fatalf("accepted (then: %v)", perr)
			}
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnsupportedVersion) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to say %q", err, tc.want)
			}
		})
	}
	// Save refuses what Load would refuse.
	if err := Save(io.Discard, &SavedModel{Model: nanLR, Header: hdr("logreg", 39)}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Save of a NaN weight: %v", err)
	}
	if err := Save(io.Discard, &SavedModel{Model: lr(38), Header: hdr("logreg", 39)}); err == nil || !strings.Contains(err.Error(), "takes 38 features, the header names 39") {
		t.Errorf("Save of 38 weights under 39 names: %v", err)
	}
	if err := Save(io.Discard, &SavedModel{Model: lr(3)}); err == nil || !strings.Contains(err.Error(), "no feature names") {
		t.Errorf("Save without feature names: %v", err)
	}
}

func TestHeaderColumns(t *testing.T) {
	t.Parallel()
	h := &Header{FeatureNames: []string{"a", "b", "c"}}
	idx, err := h.Columns([]string{"c", "x", "a", "b"})
	if err != nil || !reflect.DeepEqual(idx, []int{2, 3, 0}) {
		t.Errorf("reordered columns: %v %v", idx, err)
	}
	for _, tc := range []struct {
		cols []string
		want string
	}{
		{[]string{"a", "B", "c"}, `no column "b" (the model's feature 2 of 3); column 2 is "B", which the model does not know`},
		{[]string{"a", "c"}, `no column "b" (the model's feature 2 of 3)`},
		{[]string{"a", "b", "c", "a"}, `column "a" appears twice`},
	} {
		if _, err := h.Columns(tc.cols); err == nil || err.Error() != tc.want {
			t.Errorf("columns %v: %v, want %s", tc.cols, err, tc.want)
		}
	}
}

func TestHeaderCheckSchema(t *testing.T) {
	t.Parallel()
	h := &Header{FeatureNames: []string{"a", "b", "c"}, Convention: "reference", FormatVersion: 2}
	if err := h.CheckSchema("reference", []string{"a", "b", "c"}); err != nil {
		t.Error(err)
	}
	for _, tc := range []struct {
		conv  string
		names []string
		want  string
	}{
		{"reference", []string{"a", "b"}, "the model takes 3 features, the vectors have 2"},
		{"reference", []string{"a", "c", "b"}, `feature 2 is "b" in the model, "c" in the vectors`},
		{"clean", []string{"a", "b", "c"}, "the model was trained on reference features, the vectors are clean"},
	} {
		if err := h.CheckSchema(tc.conv, tc.names); err == nil || err.Error() != tc.want {
			t.Errorf("%s %v: %v, want %s", tc.conv, tc.names, err, tc.want)
		}
	}
	h.Convention, h.FormatVersion = SchemaUnknown, 1
	if err := h.CheckSchema("clean", []string{"a", "b", "c"}); !errors.Is(err, ErrSchemaUnknown) ||
		err.Error() != "the model does not record its feature convention (format version 1); the vectors are clean" {
		t.Errorf("unknown convention: %v", err)
	}
}

func TestScoreVector(t *testing.T) {
	t.Parallel()
	sm, X := savedForest(t)
	if s, err := sm.ScoreVector(X[0]); err != nil || s != sm.Model.Score(X[0]) {
		t.Errorf("ScoreVector = %v, %v", s, err)
	}
	if _, err := sm.ScoreVector(X[0][:5]); err == nil || !strings.Contains(err.Error(), "5 values; the model of user7 takes 6") {
		t.Errorf("short vector: %v", err)
	}
	x := append([]float64(nil), X[0]...)
	x[2] = math.NaN()
	if _, err := sm.ScoreVector(x); err == nil || !strings.Contains(err.Error(), "feature c is NaN") {
		t.Errorf("NaN feature: %v", err)
	}
}

// fuzzSeeds are small valid files of every classifier, one with every
// part of the guard, the version 1 forest and the attack, each as a whole
// file and split into its version, header, guard and payload.
func fuzzSeeds(f *testing.F) {
	X, y := toy(9, 60, 3, 1)
	var files [][]byte
	for _, name := range Names() {
		params := map[string]any{}
		switch name {
		case "rf", "malaschitz":
			params["trees"] = 2
		case "mlp":
			params["hidden"], params["epochs"] = 2, 2
		}
		c, err := New(name, params)
		if err != nil {
			f.Fatal(err)
		}
		m, err := c.Fit(context.Background(), X, y, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			f.Fatal(err)
		}
		var b bytes.Buffer
		if err := Save(&b, &SavedModel{Model: m, Header: Header{FeatureNames: names(3)}}); err != nil {
			f.Fatal(err)
		}
		files = append(files, b.Bytes())
	}
	guarded, _ := guardedModel(f)
	var b bytes.Buffer
	if err := Save(&b, guarded); err != nil {
		f.Fatal(err)
	}
	files = append(files, b.Bytes())
	v1, err := os.ReadFile("testdata/v1-forest.model")
	if err != nil {
		f.Fatal(err)
	}
	files = append(files, v1, v1FileBytes([]byte(`{"classifier":"rf","feature_names":["a","b","c"]}`),
		v1Forest(61, [5]float64{60, 1, 2, 0.5, 0}, [5]float64{-1, 0, 0, 0, 1}, [5]float64{-1, 0, 0, 0, 0})))
	for _, file := range files {
		version := file[len(magic)+1]
		hdr, rest, err := section(file[len(magic)+2:])
		if err != nil {
			f.Fatal(err)
		}
		var guard []byte
		if version >= 3 {
			if guard, rest, err = section(rest); err != nil {
				f.Fatal(err)
			}
		}
		payload, _, err := section(rest)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(file, version, hdr, guard, payload)
	}
}

// assemble frames a header, a guard section (version 3) and a payload as a
// file of format version 1, 2 or 3 (any other version: 3) with a valid
// checksum.
func assemble(version uint8, hdr, guard, payload []byte) []byte {
	if version == 1 {
		return v1FileBytes(hdr, payload)
	}
	var b bytes.Buffer
	b.WriteString(magic)
	if version != 2 {
		version = 3
	}
	binary.Write(&b, binary.BigEndian, uint16(version))
	binary.Write(&b, binary.BigEndian, uint32(len(hdr)))
	b.Write(hdr)
	if version == 3 {
		binary.Write(&b, binary.BigEndian, uint32(len(guard)))
		b.Write(guard)
	}
	binary.Write(&b, binary.BigEndian, uint32(len(payload)))
	b.Write(payload)
	binary.Write(&b, binary.BigEndian, crc32.Checksum(b.Bytes(), castagnoli))
	return b.Bytes()
}

// FuzzLoad: any file either fails Load, or loads into a model that scores
// vectors of its schema's width in [0, 1] and checks them without
// panicking, saves, and loads again into a model that scores and checks
// the same. Each input is tried as it is, and as a header, a guard and a
// payload framed with a valid checksum, as an attacker would write them:
// mutations then reach the header, guard and payload decoders instead of
// stopping at the checksum.
func FuzzLoad(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, file []byte, version uint8, hdr, guard, payload []byte) {
		for _, data := range [][]byte{file, assemble(version, hdr, guard, payload)} {
			sm, err := Load(bytes.NewReader(data))
			if err != nil {
				continue
			}
			w := len(sm.Header.FeatureNames)
			vectors := [][]float64{make([]float64, w), make([]float64, w), make([]float64, w), make([]float64, w+1)}
			for j := range w {
				vectors[1][j] = float64(j%7) - 1.5
				vectors[2][j] = math.MaxFloat64 / float64(1+j%3) * float64(1-2*(j%2))
			}
			var b bytes.Buffer
			if err := Save(&b, sm); err != nil {
				t.Fatalf("a loaded model does not save: %v", err)
			}
			again, err := Load(&b)
			if err != nil {
				t.Fatalf("a saved model does not load: %v", err)
			}
			for _, x := range vectors {
				c := sm.Check(x)
				if c2 := again.Check(x); c2 != c {
					t.Fatalf("check %+v, %+v after a save and load", c, c2)
				}
				if len(x) != w {
					if !c.Implausible {
						t.Fatalf("a vector of %d values for %d features: %+v", len(x), w, c)
					}
					continue
				}
				s := sm.Model.Score(x)
				if !(s >= 0 && s <= 1) {
					t.Fatalf("score %v outside [0, 1]", s)
				}
				if s2 := again.Model.Score(x); s2 != s {
					t.Fatalf("score %v, %v after a save and load", s, s2)
				}
			}
		}
	})
}

// FuzzDecodePayload drives the payload decoders directly (FuzzLoad reaches
// them through the header): any payload either fails to decode or gives a
// model that scores vectors of the width in [0, 1] and encodes again into
// a payload that decodes to the same scores.
func FuzzDecodePayload(f *testing.F) {
	X, y := toy(9, 60, 3, 1)
	for i, name := range Names() {
		c, err := New(name, map[string]any{})
		if err != nil {
			f.Fatal(err)
		}
		if name == "rf" || name == "malaschitz" {
			c, _ = New(name, map[string]any{"trees": 2})
		}
		m, err := c.Fit(context.Background(), X, y, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			f.Fatal(err)
		}
		p, _, err := encodePayload(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), uint8(3), p)
	}
	f.Fuzz(func(t *testing.T, kind, width uint8, p []byte) {
		name := Names()[int(kind)%len(Names())]
		w := 1 + int(width)%40
		m, err := decodePayload(name, p, w)
		if err != nil {
			return
		}
		x := make([]float64, w)
		for j := range x {
			x[j] = float64(j%5) - 2
		}
		s := m.Score(x)
		if !(s >= 0 && s <= 1) {
			t.Fatalf("%s: score %v outside [0, 1]", name, s)
		}
		q, got, err := encodePayload(m)
		if err != nil || got != name {
			t.Fatalf("%s: decoded model does not encode: %v %s", name, err, got)
		}
		m2, err := decodePayload(name, q, w)
		if err != nil {
			t.Fatalf("%s: re-encoded payload does not decode: %v", name, err)
		}
		if s2 := m2.Score(x); s2 != s {
			t.Fatalf("%s: score %v, %v after re-encoding", name, s, s2)
		}
	})
}

// TestTreeEncoding: every node form of the tree encoding decodes to the
// tree that was encoded, bit for bit, in the size the format promises.
func TestTreeEncoding(t *testing.T) {
	t.Parallel()
	split := func(f int32, thr float64, right int32) fnode { return fnode{feat: f, v: thr, right: right} }
	leaf := func(v float64) fnode { return fnode{feat: -1, v: v} }
	tree := []fnode{
		split(0, 3.5, 10),        // 2-byte float32: 3 bytes
		split(100, 3.5, 9),       // feature past the short forms: 1+1+8
		split(2, 1000.015625, 8), // 3-byte float32: 4
		split(3, 0.1, 5),         // not a float32: 1+1+8
		leaf(0),                  // 1
		split(73, 0.25, 7),       // the last short feature: 3
		leaf(1),                  // 1
		leaf(3.0 / 7),            // small fraction: 1
		leaf(11.0 / 13),          // nibbles: 2
		leaf(200.0 / 201),        // bytes: 3
		split(74, 0.5, 12),       // the first long feature: 10
		leaf(0.123456789),        // 9
		leaf(0),                  // 1
	}
	p, err := encodeTrees([][]fnode{tree}, 101)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 + 3 + 10 + 4 + 10 + 1 + 3 + 1 + 1 + 2 + 3 + 10 + 9 + 1; len(p) != want {
		t.Errorf("%d bytes, want %d", len(p), want)
	}
	d := &dec{p: p}
	got := decodeTrees(d, 101)
	d.end()
	if d.err != nil {
		t.Fatal(d.err)
	}
	if !reflect.DeepEqual(got, [][]fnode{tree}) {
		t.Errorf("decoded\n%v\nwant\n%v", got, tree)
	}
	if _, err := encodeTrees([][]fnode{tree}, 100); err == nil || !strings.Contains(err.Error(), "feature 100; the schema has 100") {
		t.Errorf("encoding past the width: %v", err)
	}
}

// TestLoadSharesSchemaParts: models loaded with equal feature names and
// bounds share one copy of them (the garbage collector marks a scorer's
// cached models in every cycle); a model with other bounds keeps its own,
// and so does every model once the table holds maxSharedParts.
func TestLoadSharesSchemaParts(t *testing.T) {
	t.Parallel()
	sm, _ := guardedModel(t)
	var table sharedParts
	// roundTrip saves sm and loads it through table.
	roundTrip := func(sm *SavedModel) *SavedModel {
		t.Helper()
		var file bytes.Buffer
		if err := Save(&file, sm); err != nil {
			t.Fatal(err)
		}
		m, err := load(&file, &table)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := roundTrip(sm), roundTrip(sm)
	if &a.Header.FeatureNames[0] != &b.Header.FeatureNames[0] || a.Header.Bounds != b.Header.Bounds {
		t.Fatal("two loads of one model do not share its names and bounds")
	}
	// SharedParts names what is shared, for live's size estimate.
	if p := a.SharedParts(); len(p) != 2 || &p[0].([]string)[0] != &b.Header.FeatureNames[0] || p[1].(*Bounds) != b.Header.Bounds {
		t.Fatalf("SharedParts = %d parts, want the shared names and bounds", len(p))
	}
	if a.Model.Score(make([]float64, len(a.Header.FeatureNames))) != b.Model.Score(make([]float64, len(b.Header.FeatureNames))) {
		t.Fatal("the two loads score differently")
	}

	// Other bounds (a relation's limit moved) are not shared, the names
	// still are.
	other := *sm
	bounds := *sm.Header.Bounds
	bounds.Relations = append([]Relation(nil), bounds.Relations...)
	bounds.Relations[0].Max++
	other.Header.Bounds = &bounds
	c := roundTrip(&other)
	if c.Header.Bounds == a.Header.Bounds || c.Header.Bounds.Relations[0].Max != sm.Header.Bounds.Relations[0].Max+1 {
		t.Fatalf("a model with other bounds got %+v", c.Header.Bounds.Relations[0])
	}
	if &c.Header.FeatureNames[0] != &a.Header.FeatureNames[0] {
		t.Error("equal names are not shared across bounds")
	}

	// The table is bounded.
	for i := range 2 * maxSharedParts {
		names := slices.Clone(sm.Header.FeatureNames)
		names[0] = fmt.Sprintf("feature-%d", i)
		table.share(names, nil)
	}
	if len(table.names) != maxSharedParts {
		t.Errorf("the table holds %d name lists, want at most %d", len(table.names), maxSharedParts)
	}
}
