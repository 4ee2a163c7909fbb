package classify

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testBounds are physical bounds of a toy schema of d features: feature 0
// takes the values 1, 3 and 4; feature 1 is a whole number >= 0; feature
// 2 is in [0, 1]; and x[3] <= x[4] (a mean and its max, say).
func testBounds(d int) *Bounds {
	b := &Bounds{Lo: make([]float64, d), Hi: make([]float64, d), Tol: 1e-9,
		Integral:  []int{0, 1},
		Values:    []Allowed{{Feature: 0, Values: []float64{1, 3, 4}}},
		Relations: []Relation{{Name: "f3 <= f4", Terms: []Term{{3, 1}, {4, -1}}, Max: 0}}}
	for j := range d {
		b.Lo[j], b.Hi[j] = -math.MaxFloat64, math.MaxFloat64
	}
	b.Lo[0], b.Hi[0] = 1, 4
	b.Lo[1] = 0
	b.Lo[2], b.Hi[2] = 0, 1
	return b
}

// guardRows are n plausible rows of testBounds(6).
func guardRows(rng *rand.Rand, n int, shift float64) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		x := make([]float64, 6)
		x[0] = []float64{1, 3, 4}[rng.IntN(3)]
		x[1] = float64(rng.IntN(20))
		x[2] = rng.Float64()
		x[3] = shift + rng.NormFloat64()
		x[4] = x[3] + math.Abs(rng.NormFloat64())
		x[5] = math.Exp(3*rng.NormFloat64()) + shift // heavy-tailed
		out[i] = x
	}
	return out
}

// guardedModel is a forest on guardRows with every part of the guard.
func guardedModel(t testing.TB) (*SavedModel, [][]float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	own, others := guardRows(rng, 200, 0), guardRows(rng, 400, 2)
	b := testBounds(6)
	tr, err := TrainUser(context.Background(), Forest{Trees: 10}, own, others, rand.New(rand.NewPCG(1, 1)),
		TrainOptions{NegativeRatio: 1, Background: 1, Bounds: b, Guard: GuardSettings{Range: true, RangeMargin: RangeMargin, Novelty: &NoveltySettings{}}})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Range == nil || tr.Novelty == nil || tr.Background != 200 || tr.Impostor != 200 {
		t.Fatalf("trained %+v", tr)
	}
	h := Header{FeatureNames: []string{"type", "count", "ratio", "mean", "max", "tail"}, Extractor: "x", Convention: "clean",
		User: "u", Decision: "decide/1 rule=sequential", Created: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}
	tr.Guard(&h, b)
	return &SavedModel{Header: h, Model: tr.Model}, own
}

// TestGuardRoundTrip: a model's guard and decision policy survive a save
// and a load exactly, and the loaded model checks every vector as the
// saved one does.
func TestGuardRoundTrip(t *testing.T) {
	t.Parallel()
	sm, own := guardedModel(t)
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
	rng := rand.New(rand.NewPCG(2, 2))
	vs := append(own, guardRows(rng, 100, 3)...)
	for i, x := range vs {
		if a, b := sm.Check(x), got.Check(x); a != b {
			t.Fatalf("vector %d: saved %+v, loaded %+v", i, a, b)
		}
	}
}

// TestOlderVersionsHaveNoGuard: a version 2 file loads as before, with no
// guard, even if its header carries the fields of version 3; Check then
// checks the schema only.
func TestOlderVersionsHaveNoGuard(t *testing.T) {
	t.Parallel()
	sm, own := guardedModel(t)
	hdr := sm.Header
	hdr.Classifier = "rf"
	file := v2File(t, hdr, payloadOf(t, sm.Model))
	got, err := Load(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	h := got.Header
	if h.FormatVersion != 2 || h.Bounds != nil || h.Range != nil || h.Novelty != nil || h.Decision != "" {
		t.Errorf("version 2 header %+v", h)
	}
	if c := got.Check(own[0]); c.Implausible || c.Novel {
		t.Errorf("check of a training row: %+v", c)
	}
	if c := got.Check([]float64{0, 0, 0, 0, 0, 0}); c.Implausible || c.Novel {
		t.Errorf("a version 2 model has no bounds, yet %+v", c)
	}
	if c := got.Check([]float64{0, 0, 0, math.NaN(), 0, 0}); !c.Implausible || !strings.Contains(c.Why, "mean is NaN") {
		t.Errorf("NaN: %+v", c)
	}
}

// TestCheck: what each part of the guard refuses, and why.
func TestCheck(t *testing.T) {
	t.Parallel()
	sm, own := guardedModel(t)
	ok := own[0]
	with := func(j int, v float64) []float64 {
		x := append([]float64(nil), ok...)
		x[j] = v
		return x
	}
	for _, tc := range []struct {
		name             string
		x                []float64
		implausible, nov bool
		why              string
	}{
		{"training row", ok, false, false, ""},
		{"short", ok[:5], true, false, "5 values; the model takes 6 features"},
		{"NaN", with(2, math.NaN()), true, false, "ratio is NaN"},
		{"Inf", with(5, math.Inf(-1)), true, false, "tail is -Inf"},
		{"type 2", with(0, 2), true, false, "type = 2 is none of the values it takes"},
		{"type 5", with(0, 5), true, false, "type = 5 is above 4"},
		{"fractional count", with(1, 2.5), true, false, "count = 2.5 is not a whole number"},
		{"negative count", with(1, -1), true, false, "count = -1 is below 0"},
		{"ratio above 1", with(2, 1.5), true, false, "ratio = 1.5 is above 1"},
		{"mean above max", with(3, ok[4]+1), true, false, "outside the physical bounds: f3 <= f4 does not hold"},
		{"constant 0", []float64{0, 0, 0, 0, 0, 0}, true, false, "type = 0 is below 1"},
		{"far tail", with(5, 1e12), false, true, "outside the user's range: tail = 1e+12"},
		{"huge count", with(1, 1e9), false, true, "outside the user's range: count = 1e+09"},
	} {
		c := sm.Check(tc.x)
		if c.Implausible != tc.implausible || c.Novel != tc.nov || !strings.Contains(c.Why, tc.why) || (tc.why == "" && c.Why != "") {
			t.Errorf("%s: %+v; want implausible %v, novel %v, why %q", tc.name, c, tc.implausible, tc.nov, tc.why)
		}
	}
	// The gate: the training rows are novel at about the rate its quantile
	// says (their leave-one-out distances set its threshold), vectors of
	// another user more often.
	novel := func(rows [][]float64) float64 {
		n := 0
		for _, x := range rows {
			c := sm.Check(x)
			if c.Novel && strings.HasPrefix(c.Why, "novel") {
				n++
			}
			if !c.Novel && c.Novelty > 1 {
				t.Fatalf("novelty %v but not novel", c.Novelty)
			}
		}
		return float64(n) / float64(len(rows))
	}
	if r := novel(own); r > 0.02 {
		t.Errorf("%.3f of the training rows are novel, want about 1 - 0.995", r)
	}
	other := guardRows(rand.New(rand.NewPCG(9, 9)), 200, 50)
	if r := novel(other); r < 0.5 {
		t.Errorf("%.3f of a shifted user's rows are novel, want most", r)
	}
}

// TestCheckAllocations: a plausible vector is checked without allocating.
func TestCheckAllocations(t *testing.T) {
	sm, own := guardedModel(t)
	x := own[3]
	if n := testing.AllocsPerRun(100, func() { sm.Check(x) }); n != 0 {
		t.Errorf("Check allocates %v times per vector", n)
	}
}

// v3File assembles a version 3 file around a header, a guard section and
// a payload, with a valid checksum.
func v3File(t *testing.T, hdr []byte, guard, payload []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(magic)
	binary.Write(&b, binary.BigEndian, uint16(3))
	for _, s := range [][]byte{hdr, guard, payload} {
		binary.Write(&b, binary.BigEndian, uint32(len(s)))
		b.Write(s)
	}
	binary.Write(&b, binary.BigEndian, crc32.Checksum(b.Bytes(), castagnoli))
	return b.Bytes()
}

// TestLoadRefusesInvalidGuard: a version 3 file whose guard does not fit
// its schema, holds impossible values or a decision policy that is not
// printable text is refused with ErrInvalid, saying what is wrong.
func TestLoadRefusesInvalidGuard(t *testing.T) {
	t.Parallel()
	sm, _ := guardedModel(t)
	payload := payloadOf(t, sm.Model)
	header := func(edit func(h *Header)) []byte {
		h := sm.Header
		h.Classifier = "rf"
		b := *h.Bounds
		b.Lo, b.Hi = append([]float64(nil), b.Lo...), append([]float64(nil), b.Hi...)
		b.Relations = append([]Relation(nil), b.Relations...)
		r := *h.Range
		r.Lo, r.Hi = append([]float64(nil), r.Lo...), append([]float64(nil), r.Hi...)
		h.Bounds, h.Range = &b, &r
		edit(&h)
		j, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	gate := func(edit func(n *Novelty)) []byte {
		n := *sm.Header.Novelty
		n.Scale, n.Ref = append([]float64(nil), n.Scale...), append([]float32(nil), n.Ref...)
		edit(&n)
		return encodeNovelty(&n)
	}
	good := encodeNovelty(sm.Header.Novelty)
	for _, tc := range []struct {
		name       string
		hdr, guard []byte
		want       string
	}{
		{"bounds of 5 features", header(func(h *Header) { h.Bounds.Lo = h.Bounds.Lo[:5] }), good, "bounds: 5 lower and 6 upper limits for 6 features"},
		{"bound above its upper", header(func(h *Header) { h.Bounds.Lo[2] = 2 }), good, "bounds: feature 3: [2, 1]"},
		{"integral feature 9", header(func(h *Header) { h.Bounds.Integral = []int{9} }), good, "integral feature 10"},
		{"no allowed values", header(func(h *Header) { h.Bounds.Values = []Allowed{{Feature: 0}} }), good, "0 allowed values"},
		{"relation on feature 7", header(func(h *Header) { h.Bounds.Relations = []Relation{{Name: "r", Terms: []Term{{7, 1}}}} }), good, "term 1 x feature 8 of 6"},
		{"relation with no terms", header(func(h *Header) { h.Bounds.Relations = []Relation{{Name: "r"}} }), good, "0 terms"},
		{"relation name with a newline", header(func(h *Header) { h.Bounds.Relations[0].Name = "a\nb" }), good, "not a printable character"},
		{"tolerance 2", header(func(h *Header) { h.Bounds.Tol = 2 }), good, "tolerance 2"},
		{"range of 7 features", header(func(h *Header) { h.Range.Hi = append(h.Range.Hi, 1) }), good, "range: 6 lower and 7 upper limits"},
		{"range upside down", header(func(h *Header) { h.Range.Lo[1], h.Range.Hi[1] = 5, 4 }), good, "range: feature 2: [5, 4]"},
		{"decision with a control byte", header(func(h *Header) { h.Decision = "decide/1\x07" }), good, "decision policy: byte 8"},
		{"decision too long", header(func(h *Header) { h.Decision = strings.Repeat("x", MaxDecisionLen+1) }), good, "decision policy: 513 bytes, at most 512"},
		{"gate of 5 features", header(func(*Header) {}), gate(func(n *Novelty) { n.Scale = n.Scale[:5] }), "novelty gate of 6 features"},
		{"gate scale 0", header(func(*Header) {}), gate(func(n *Novelty) { n.Scale[0] = 0 }), "scale 0"},
		{"gate k 0", header(func(*Header) {}), gate(func(n *Novelty) { n.K = 0 }), "k = 0"},
		{"gate k 40", header(func(*Header) {}), gate(func(n *Novelty) { n.K = 40 }), "k = 40"},
		{"gate threshold -1", header(func(*Header) {}), gate(func(n *Novelty) { n.Threshold = -1 }), "threshold -1"},
		{"gate NaN reference", header(func(*Header) {}), gate(func(n *Novelty) { n.Ref[5] = float32(math.NaN()) }), "reference value 5 is NaN"},
		{"gate of k rows", header(func(*Header) {}), gate(func(n *Novelty) { n.Ref = n.Ref[:n.K*6] }), "reference values for 6 features and k = 5"},
		{"gate of another kind", header(func(*Header) {}), append([]byte{2}, good[1:]...), "unknown novelty gate 2"},
		{"gate truncated", header(func(*Header) {}), good[:len(good)-3], "reference rows: 200 in"},
		{"gate with bytes after it", header(func(*Header) {}), append(append([]byte(nil), good...), 0), "1 bytes after the model"},
	} {
		_, err := Load(bytes.NewReader(v3File(t, tc.hdr, tc.guard, payload)))
		if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want ErrInvalid saying %q", tc.name, err, tc.want)
		}
	}
	// And the same file with the good parts loads.
	if _, err := Load(bytes.NewReader(v3File(t, header(func(*Header) {}), good, payload))); err != nil {
		t.Fatal(err)
	}
}

// TestFitRange: the range holds the rows, is clipped to the bounds, and
// widens a heavy tail by a factor, not an offset.
func TestFitRange(t *testing.T) {
	t.Parallel()
	rows := guardRows(rand.New(rand.NewPCG(5, 5)), 300, 0)
	b := testBounds(6)
	r, err := FitRange(rows, 2, b)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range rows {
		for j, v := range x {
			if v < r.Lo[j] || v > r.Hi[j] {
				t.Fatalf("row %d feature %d: %v outside [%v, %v]", i, j, v, r.Lo[j], r.Hi[j])
			}
		}
	}
	if r.Lo[0] != 1 || r.Hi[0] != 4 || r.Lo[2] != 0 || r.Hi[2] != 1 || r.Lo[1] != 0 {
		t.Errorf("not clipped to the bounds: lo %v, hi %v", r.Lo, r.Hi)
	}
	var mx float64
	for _, x := range rows {
		mx = max(mx, x[5])
	}
	if r.Hi[5] < 10*mx {
		t.Errorf("heavy tail: max %v, range up to %v; want a factor beyond it", mx, r.Hi[5])
	}
	r0, _ := FitRange(rows, 0, nil)
	for j := range 6 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, x := range rows {
			lo, hi = min(lo, x[j]), max(hi, x[j])
		}
		if r0.Lo[j] != lo || r0.Hi[j] != hi {
			t.Errorf("margin 0, feature %d: [%v, %v], rows [%v, %v]", j, r0.Lo[j], r0.Hi[j], lo, hi)
		}
	}
	if _, err := FitRange(nil, 1, nil); !errors.Is(err, ErrNoRows) {
		t.Errorf("no rows: %v", err)
	}
	if _, err := FitRange(rows, math.NaN(), nil); err == nil {
		t.Error("NaN margin accepted")
	}
}

// TestProjectAndBackground: projected vectors are inside the bounds;
// background negatives are as many as asked, all inside the bounds but
// the constant ones, and reproducible from the seed.
func TestProjectAndBackground(t *testing.T) {
	t.Parallel()
	b := testBounds(6)
	rng := rand.New(rand.NewPCG(3, 3))
	for range 200 {
		x := make([]float64, 6)
		for j := range x {
			x[j] = 20 * rng.NormFloat64()
		}
		if !b.Project(x) {
			t.Fatalf("%v not projected inside", x)
		}
		if ok, why := b.Check(x, names(6)); !ok {
			t.Fatalf("projected %v is outside: %s", x, why)
		}
	}
	own := guardRows(rng, 100, 0)
	X := append(append([][]float64(nil), own...), guardRows(rng, 300, 2)...)
	bg := BackgroundRows(own, X, b, 150, rand.New(rand.NewPCG(4, 4)))
	again := BackgroundRows(own, X, b, 150, rand.New(rand.NewPCG(4, 4)))
	if len(bg) != 150 || !reflect.DeepEqual(bg, again) {
		t.Fatalf("%d rows; reproducible %v", len(bg), reflect.DeepEqual(bg, again))
	}
	inside := 0
	for _, x := range bg {
		if ok, _ := b.Check(x, names(6)); ok {
			inside++
		}
	}
	if inside < 135 { // 90% are moved inside; the constants are not
		t.Errorf("%d of 150 background rows inside the bounds", inside)
	}
}

// TestPresets: the presets' training settings, and that a caller cannot
// change them through what Preset returns.
func TestPresets(t *testing.T) {
	t.Parallel()
	imp, err := Preset(PresetImproved)
	if err != nil {
		t.Fatal(err)
	}
	if imp.Classifier != "gbdt" || imp.NegativeRatio != 8 || imp.Background != ImprovedBackground || !imp.DropDuplicateColumns ||
		!imp.ReplacePlaceholders || !imp.Guard.Range || imp.Guard.RangeMargin != RangeMargin {
		t.Errorf("improved = %+v", imp)
	}
	ref, _ := Preset(PresetReference)
	if ref.Classifier != "rf" || ref.Params["trees"] != 100 || ref.NegativeRatio != 1 || ref.Background != 0 || ref.DropDuplicateColumns {
		t.Errorf("reference = %+v", ref)
	}
	ref.Params["trees"] = 5
	if again, _ := Preset(PresetReference); again.Params["trees"] != 100 {
		t.Error("Preset returned the preset's own map")
	}
	for _, p := range PresetNames() {
		s, _ := Preset(p)
		if _, err := New(s.Classifier, s.Params); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := Preset("fast"); err == nil || !strings.Contains(err.Error(), "want improved or reference") {
		t.Errorf("unknown preset: %v", err)
	}
}

// BenchmarkCheck measures the guard beside the score it guards, on a model
// of the improved preset's classifier over 39 features (gbdt, its
// defaults): Score, Check with the physical bounds and range (the
// presets' guard), and Check with the k-NN gate too.
func BenchmarkCheck(b *testing.B) {
	rng := rand.New(rand.NewPCG(11, 11))
	const d = 39
	mk := func(n int, shift float64) [][]float64 {
		out := make([][]float64, n)
		for i := range out {
			out[i] = make([]float64, d)
			for j := range out[i] {
				out[i][j] = math.Exp(rng.NormFloat64()) + shift
			}
		}
		return out
	}
	own, others := mk(600, 0), mk(3000, 0.3)
	bounds := &Bounds{Lo: make([]float64, d), Hi: make([]float64, d), Tol: 1e-9}
	for j := range d {
		bounds.Lo[j], bounds.Hi[j] = 0, math.MaxFloat64
		if j+1 < d {
			bounds.Relations = append(bounds.Relations, Relation{Name: "r", Terms: []Term{{j, 1}, {j + 1, -1e-9}}, Max: 1e6})
		}
	}
	c, err := New("gbdt", nil)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := TrainUser(context.Background(), c, own, others, rand.New(rand.NewPCG(1, 1)),
		TrainOptions{NegativeRatio: 4, Bounds: bounds, Guard: GuardSettings{Range: true, RangeMargin: RangeMargin, Novelty: &NoveltySettings{}}})
	if err != nil {
		b.Fatal(err)
	}
	h := Header{FeatureNames: names(d)}
	tr.Guard(&h, bounds)
	gated := &SavedModel{Header: h, Model: tr.Model}
	h.Novelty = nil
	plain := &SavedModel{Header: h, Model: tr.Model}
	xs := mk(256, 0.1)
	var sink float64
	b.Run("Score", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sink += tr.Model.Score(xs[i%len(xs)])
		}
	})
	b.Run("Check", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if plain.Check(xs[i%len(xs)]).Novel {
				sink++
			}
		}
	})
	b.Run("CheckWithGate", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sink += gated.Check(xs[i%len(xs)]).Novelty
		}
	})
	_ = sink
}
