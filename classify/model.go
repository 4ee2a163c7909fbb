package classify

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

// The model file format, version 3. All integers are big-endian.
//
//	magic      8 bytes  "MAUTHMDL"
//	version    uint16   3
//	header     uint32 length, then JSON: [Header]
//	guard      uint32 length, then the novelty gate's encoding (0 bytes:
//	           none; see encodeNovelty)
//	payload    uint32 length, then the classifier's own encoding (codec.go)
//	checksum   uint32   CRC-32C (Castagnoli) of every byte before it
//
// The header carries the feature schema: the extractor, its convention and
// the ordered feature names; the payload's width is the number of names.
// Since version 3 it also carries the model's guard (guard.go): the
// features' physical bounds and the user's range, with the novelty gate in
// the guard section, and the decision policy ([Header.Decision]).
// Version 2 is version 3 without the guard section and those header
// fields: Load reads it as a model without a guard. Version 1 had no
// extractor or convention and its own payloads (a 28-byte node layout for
// the forest, encoding/gob for the others): Load still reads version 1
// forests, marking the schema [SchemaUnknown], and refuses other version 1
// models (gob is not safe to decode from an untrusted file), saying so.
//
// The checksum finds accidents, not attacks: anyone who can write a model
// can compute it. What makes a model file safe to load is that Load checks
// every value against the schema (see [Load]).
const (
	magic         = "MAUTHMDL"
	FormatVersion = 3
	// MaxFileSize bounds what Load reads: a model grown here on all of a
	// Balabit user's actions takes about 1 MB.
	MaxFileSize = 64 << 20
	// maxFeatures bounds the feature names of a header.
	maxFeatures = 1 << 16
)

// SchemaUnknown is the extractor or convention of a model that does not
// record it: a version 1 file, or a model saved without it (e.g. trained on
// a published feature file). Raw logs cannot be scored with such a model
// without choosing the convention explicitly.
const SchemaUnknown = "unknown"

// Errors from [Load].
var (
	ErrNotAModel          = errors.New("not a mouseauth model file (bad magic)")
	ErrUnsupportedVersion = errors.New("unsupported model format version")
	ErrChecksum           = errors.New("model file checksum mismatch: the file is corrupt")
	ErrTruncated          = errors.New("model file is truncated")
	ErrTooLarge           = errors.New("model file is too large")
	// ErrInvalid: the file is intact but its model does not match its
	// feature schema or holds impossible values; it is refused, never
	// scored.
	ErrInvalid = errors.New("invalid model")
)

// Header describes a saved model: what it is, what it was trained on and
// the feature schema its input must follow.
type Header struct {
	Classifier string            `json:"classifier"`
	Params     map[string]string `json:"params,omitempty"`
	// Extractor names what made the features, with its version, e.g.
	// "mouseauth/preprocess" and "1"; Convention the extractor's convention
	// ("clean" or "reference", preprocess.Compat's String). Classify keeps
	// them as plain text; [SchemaUnknown] when not known.
	Extractor        string `json:"extractor"`
	ExtractorVersion string `json:"extractor_version,omitempty"`
	Convention       string `json:"convention"`
	// FeatureNames are the model's input, in order: a vector has one value
	// per name. Required, unique and non-empty.
	FeatureNames []string  `json:"feature_names"`
	User         string    `json:"user"`
	Genuine      int       `json:"genuine_rows"`
	Impostor     int       `json:"impostor_rows"`
	Seed         int64     `json:"seed"`
	Created      time.Time `json:"created"`
	// Bounds, Range and Novelty are the model's guard (see
	// [SavedModel.Check]): the features' physical bounds, the range of
	// the user's training rows and the novelty gate. nil where not
	// recorded; a model of format version 2 or older has none.
	Bounds  *Bounds  `json:"bounds,omitempty"`
	Range   *Range   `json:"range,omitempty"`
	Novelty *Novelty `json:"-"` // its own section of the file
	// Decision is the decision policy the model was enrolled with: opaque
	// here, versioned and parsed by the decision engine (package decide),
	// printable and at most [MaxDecisionLen] bytes. "" for none.
	Decision string `json:"decision,omitempty"`
	// FormatVersion is the version of the file the header was read from
	// (set by Load; Save writes the current one).
	FormatVersion int `json:"-"`
}

// SchemaKnown reports whether the model records both its extractor and
// its convention.
func (h *Header) SchemaKnown() bool {
	return h.Extractor != "" && h.Extractor != SchemaUnknown && h.Convention != "" && h.Convention != SchemaUnknown
}

// Columns maps the model's features to the columns of a feature table by
// name: idx[i] is the column holding the model's feature i, so a table
// whose columns are in another order is scored right. A feature missing
// from columns is an error naming it (and the column at its place, if that
// one is not a feature of the model: a renamed column); a duplicated column
// name is an error too. Columns the model does not use are ignored.
func (h *Header) Columns(columns []string) ([]int, error) {
	at := make(map[string]int, len(columns))
	for j, c := range columns {
		if _, dup := at[c]; dup {
			return nil, fmt.Errorf("column %q appears twice", c)
		}
		at[c] = j
	}
	model := make(map[string]bool, len(h.FeatureNames))
	for _, n := range h.FeatureNames {
		model[n] = true
	}
	idx := make([]int, len(h.FeatureNames))
	for i, n := range h.FeatureNames {
		j, ok := at[n]
		if !ok {
			msg := fmt.Sprintf("no column %q (the model's feature %d of %d)", n, i+1, len(h.FeatureNames))
			if i < len(columns) && !model[columns[i]] {
				msg += fmt.Sprintf("; column %d is %q, which the model does not know", i+1, columns[i])
			}
			return nil, errors.New(msg)
		}
		idx[i] = j
	}
	return idx, nil
}

// ErrSchemaUnknown: the model's feature names fit, but it does not record
// the convention of its features (see [SchemaUnknown]).
var ErrSchemaUnknown = errors.New("the model does not record its feature convention")

// CheckSchema checks that vectors made under convention with the ordered
// feature names names can be scored by the model as they are, by position
// (as the live pipeline's vectors are): an error names the first difference
// in count, name or convention. A model that does not record its
// convention gives an error wrapping [ErrSchemaUnknown], which a caller may
// choose to accept with a warning.
func (h *Header) CheckSchema(convention string, names []string) error {
	if len(names) != len(h.FeatureNames) {
		return fmt.Errorf("the model takes %d features, the vectors have %d", len(h.FeatureNames), len(names))
	}
	for i, n := range names {
		if h.FeatureNames[i] != n {
			return fmt.Errorf("feature %d is %q in the model, %q in the vectors", i+1, h.FeatureNames[i], n)
		}
	}
	if h.Convention == "" || h.Convention == SchemaUnknown {
		return fmt.Errorf("%w (format version %d); the vectors are %s", ErrSchemaUnknown, h.FormatVersion, convention)
	}
	if h.Convention != convention {
		return fmt.Errorf("the model was trained on %s features, the vectors are %s", h.Convention, convention)
	}
	return nil
}

// SavedModel is a model with its header. The models [Load] reads share
// their Header.FeatureNames and Header.Bounds with other loaded models
// whose are equal: replace these fields, never write into them.
type SavedModel struct {
	Header Header
	Model  Model
}

// ScoreVector scores x after checking it against the schema: one finite
// value per feature name. Model.Score does not check (it is the hot path
// and must not allocate); use this where vectors come from outside.
func (m *SavedModel) ScoreVector(x []float64) (float64, error) {
	if len(x) != len(m.Header.FeatureNames) {
		return 0, fmt.Errorf("vector of %d values; the model of %s takes %d features", len(x), m.Header.User, len(m.Header.FeatureNames))
	}
	for j, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("feature %s is %v", m.Header.FeatureNames[j], v)
		}
	}
	return m.Model.Score(x), nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Save writes m in the model file format. The header must name the model's
// features (as many as the model takes, unique); an empty extractor or
// convention is written as [SchemaUnknown]. Save refuses a model that Load
// would refuse, so every file it writes loads.
func Save(w io.Writer, m *SavedModel) error {
	if m == nil || m.Model == nil {
		return errors.New("save model: no model")
	}
	payload, name, err := encodePayload(m.Model)
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	h := m.Header
	if h.Classifier == "" {
		h.Classifier = name
	}
	if h.Classifier != name {
		return fmt.Errorf("save model: header says %q, model is %q", h.Classifier, name)
	}
	if h.Extractor == "" {
		h.Extractor = SchemaUnknown
	}
	if h.Convention == "" {
		h.Convention = SchemaUnknown
	}
	if err := checkHeader(&h); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	if w := m.Model.(widthModel).width(); w != len(h.FeatureNames) {
		return fmt.Errorf("save model: the model takes %d features, the header names %d", w, len(h.FeatureNames))
	}
	if _, err := decodePayload(h.Classifier, payload, len(h.FeatureNames)); err != nil {
		return fmt.Errorf("save model: %w: %w", ErrInvalid, err)
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	guard := encodeNovelty(h.Novelty)
	if _, err := decodeNovelty(guard, len(h.FeatureNames)); err != nil {
		return fmt.Errorf("save model: %w: %w", ErrInvalid, err)
	}
	var b bytes.Buffer
	b.WriteString(magic)
	binary.Write(&b, binary.BigEndian, uint16(FormatVersion))
	binary.Write(&b, binary.BigEndian, uint32(len(hdr)))
	b.Write(hdr)
	binary.Write(&b, binary.BigEndian, uint32(len(guard)))
	b.Write(guard)
	binary.Write(&b, binary.BigEndian, uint32(len(payload)))
	b.Write(payload)
	binary.Write(&b, binary.BigEndian, crc32.Checksum(b.Bytes(), castagnoli))
	if b.Len() > MaxFileSize {
		return fmt.Errorf("save model: %w: %d bytes, Load reads at most %d", ErrTooLarge, b.Len(), MaxFileSize)
	}
	_, err = w.Write(b.Bytes())
	return err
}

// widthModel is a model that knows how many features it takes; every
// model of this package is one.
type widthModel interface {
	Model
	width() int
}

// Load reads a model written by [Save] and validates it: the header must
// name a known classifier and unique feature names, its guard must fit them
// (bounds, range and novelty gate of one finite value per feature, lower
// limits not above upper ones, relations naming features of the schema,
// a printable decision policy of at most [MaxDecisionLen] bytes), and the
// payload must match them: every tree node splits on a feature of the schema, every
// tree is a tree (children after their parent, no cycle), thresholds,
// weights and leaf values are finite (leaves and scores in [0, 1]), every
// weight and scaler vector has one value per feature. A model that passes
// scores any vector of the schema's width without panicking. Errors wrap
// [ErrNotAModel], [ErrUnsupportedVersion], [ErrChecksum], [ErrTruncated],
// [ErrTooLarge] or [ErrInvalid] and say what is wrong.
func Load(r io.Reader) (*SavedModel, error) { return load(r, &schemaParts) }

// load is Load sharing the schema's parts through t.
func load(r io.Reader, t *sharedParts) (*SavedModel, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxFileSize)
	}
	if len(data) < len(magic) || string(data[:len(magic)]) != magic {
		if len(data) > 0 && len(data) < len(magic) && string(data) == magic[:len(data)] {
			return nil, ErrTruncated
		}
		return nil, ErrNotAModel
	}
	p := data[len(magic):]
	if len(p) < 2 {
		return nil, ErrTruncated
	}
	version := binary.BigEndian.Uint16(p)
	if version < 1 || version > FormatVersion {
		return nil, fmt.Errorf("%w: %d (this build reads 1 to %d)", ErrUnsupportedVersion, version, FormatVersion)
	}
	p = p[2:]
	hdr, p, err := section(p)
	if err != nil {
		return nil, err
	}
	var guard []byte
	if version >= 3 {
		if guard, p, err = section(p); err != nil {
			return nil, err
		}
	}
	payload, p, err := section(p)
	if err != nil {
		return nil, err
	}
	if len(p) < 4 {
		return nil, ErrTruncated
	}
	if len(p) > 4 {
		return nil, fmt.Errorf("%w: %d bytes after the checksum", ErrChecksum, len(p)-4)
	}
	if crc32.Checksum(data[:len(data)-4], castagnoli) != binary.BigEndian.Uint32(p) {
		return nil, ErrChecksum
	}
	var m SavedModel
	if err := json.Unmarshal(hdr, &m.Header); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrInvalid, err)
	}
	h := &m.Header
	h.FormatVersion = int(version)
	if version == 1 {
		h.Extractor, h.ExtractorVersion, h.Convention = SchemaUnknown, "", SchemaUnknown
	}
	if version < 3 {
		// Versions 1 and 2 have no guard and no decision policy.
		h.Bounds, h.Range, h.Decision = nil, nil, ""
	}
	if err := checkHeader(h); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrInvalid, err)
	}
	if h.Novelty, err = decodeNovelty(guard, len(h.FeatureNames)); err != nil {
		return nil, fmt.Errorf("%w: novelty gate of %d features: %w", ErrInvalid, len(h.FeatureNames), err)
	}
	if version == 1 {
		if h.Classifier != "rf" {
			return nil, fmt.Errorf("%w: a version 1 %s model: only version 1 forests (rf) are still read; retrain it", ErrUnsupportedVersion, h.Classifier)
		}
		m.Model, err = decodeForestV1(payload, len(h.FeatureNames))
	} else {
		m.Model, err = decodePayload(h.Classifier, payload, len(h.FeatureNames))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s payload of %d features: %w", ErrInvalid, h.Classifier, len(h.FeatureNames), err)
	}
	h.FeatureNames, h.Bounds = t.share(h.FeatureNames, h.Bounds)
	return &m, nil
}

// SharedParts returns the parts of m that [Load] shares with the other
// loaded models of its schema (its feature names and bounds, when set), for
// a size estimate to count once rather than per model.
func (m *SavedModel) SharedParts() []any {
	var parts []any
	if len(m.Header.FeatureNames) > 0 {
		parts = append(parts, m.Header.FeatureNames)
	}
	if m.Header.Bounds != nil {
		parts = append(parts, m.Header.Bounds)
	}
	return parts
}

// schemaParts keeps one copy of the header parts that every model of a
// schema repeats: its feature names and physical bounds (in a model of
// the default schema, 39 names and 44 relations, 135 of its 143 heap
// objects). A scorer holds thousands of models in its cache, and the
// garbage collector marks every object of every one of them in each
// cycle. A table of a few entries compared by value, by hand: the unique
// package interns comparable values only, and these are slices.
var schemaParts sharedParts

// maxSharedParts bounds the distinct names and bounds kept: a scorer sees
// one schema or a few; models beyond the bound keep their own.
const maxSharedParts = 8

type sharedParts struct {
	mu     sync.Mutex
	names  [][]string
	bounds []*Bounds
}

// share returns the kept names and bounds equal to names and b, keeping
// these when none is equal and the table has room.
func (t *sharedParts) share(names []string, b *Bounds) ([]string, *Bounds) {
	t.mu.Lock()
	defer t.mu.Unlock()
	names = shareOne(&t.names, names, slices.Equal[[]string])
	if b != nil {
		b = shareOne(&t.bounds, b, func(x, y *Bounds) bool { return reflect.DeepEqual(x, y) })
	}
	return names, b
}

func shareOne[T any](kept *[]T, v T, equal func(T, T) bool) T {
	for _, k := range *kept {
		if equal(k, v) {
			return k
		}
	}
	if len(*kept) < maxSharedParts {
		*kept = append(*kept, v)
	}
	return v
}

// checkHeader checks what the payload is validated against.
func checkHeader(h *Header) error {
	if _, ok := registry[h.Classifier]; !ok {
		return fmt.Errorf("unknown classifier %q (have %s)", h.Classifier, strings.Join(Names(), ", "))
	}
	if len(h.FeatureNames) == 0 {
		return errors.New("no feature names: the schema is required")
	}
	if len(h.FeatureNames) > maxFeatures {
		return fmt.Errorf("%d feature names, at most %d", len(h.FeatureNames), maxFeatures)
	}
	seen := make(map[string]int, len(h.FeatureNames))
	for i, n := range h.FeatureNames {
		if n == "" {
			return fmt.Errorf("feature %d has no name", i+1)
		}
		if j, dup := seen[n]; dup {
			return fmt.Errorf("feature name %q at %d and %d", n, j+1, i+1)
		}
		seen[n] = i
	}
	w := len(h.FeatureNames)
	if h.Bounds != nil {
		if err := h.Bounds.validate(w); err != nil {
			return err
		}
	}
	if h.Range != nil {
		if err := h.Range.validate(w); err != nil {
			return err
		}
	}
	if err := checkText(h.Decision, MaxDecisionLen); err != nil {
		return fmt.Errorf("decision policy: %w", err)
	}
	return nil
}

func section(p []byte) (sec, rest []byte, err error) {
	if len(p) < 4 {
		return nil, nil, ErrTruncated
	}
	n := binary.BigEndian.Uint32(p)
	if n > MaxFileSize {
		return nil, nil, fmt.Errorf("%w: section of %d bytes", ErrChecksum, n)
	}
	p = p[4:]
	if uint32(len(p)) < n {
		return nil, nil, ErrTruncated
	}
	return p[:n], p[n:], nil
}

func encodePayload(m Model) ([]byte, string, error) {
	var p []byte
	var err error
	name := ""
	switch fm := m.(type) {
	case *ForestModel:
		name = "rf"
		p, err = encodeTrees(fm.Trees, fm.D)
	case *MalaschitzModel:
		name = "malaschitz"
		p, err = encodeTrees(fm.Trees, fm.D)
	case *ExtraTreesModel:
		name = "et"
		p, err = encodeTrees(fm.Trees, fm.D)
	case *GBDTModel:
		name = "gbdt"
		p, err = encodeGBDT(fm)
	case *LogRegModel:
		name = "logreg"
		p, err = encodeLogReg(fm)
	case *MLPModel:
		name = "mlp"
		p, err = encodeMLP(fm)
	case *KMeansModel:
		name = "kmeans"
		p, err = encodeKMeans(fm)
	default:
		return nil, "", fmt.Errorf("no file encoding for %T", m)
	}
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	return p, name, nil
}

// decodePayload decodes and validates a version 2 payload of a model of
// width features.
func decodePayload(classifier string, p []byte, width int) (Model, error) {
	switch classifier {
	case "rf", "malaschitz", "et":
		d := &dec{p: p}
		trees := decodeTrees(d, width)
		d.end()
		if d.err != nil {
			return nil, d.err
		}
		switch classifier {
		case "malaschitz":
			return &MalaschitzModel{Trees: trees, D: width}, nil
		case "et":
			return &ExtraTreesModel{ForestModel{Trees: trees, D: width}}, nil
		}
		return &ForestModel{Trees: trees, D: width}, nil
	case "gbdt":
		return decodeGBDT(p, width)
	case "logreg":
		return decodeLogReg(p, width)
	case "mlp":
		return decodeMLP(p, width)
	case "kmeans":
		return decodeKMeans(p, width)
	}
	return nil, fmt.Errorf("unknown classifier %q", classifier)
}

// decodeForestV1 reads a version 1 forest: uint32 width, uint32 tree count,
// per tree a uint32 node count and per node int32 feature (-1 for a leaf),
// int32 left, int32 right, float64 threshold, float64 value. Its trees were
// grown in preorder, as now; anything else is refused.
func decodeForestV1(p []byte, width int) (*ForestModel, error) {
	const nodeSize = 28
	if len(p) < 8 {
		return nil, ErrTruncated
	}
	d, trees := binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:])
	p = p[8:]
	if trees == 0 || trees > maxTrees || uint64(trees)*4 > uint64(len(p)) {
		return nil, fmt.Errorf("%d trees in %d bytes", trees, len(p))
	}
	m := &ForestModel{D: width, Trees: make([][]fnode, trees)}
	for i := range m.Trees {
		if len(p) < 4 {
			return nil, ErrTruncated
		}
		n := binary.BigEndian.Uint32(p)
		p = p[4:]
		if n == 0 || uint64(n)*nodeSize > uint64(len(p)) {
			return nil, fmt.Errorf("tree %d: %d nodes in %d bytes", i, n, len(p))
		}
		t := make([]fnode, n)
		for j := range t {
			q := p[j*nodeSize:]
			feat, left, right := int32(binary.BigEndian.Uint32(q)), int32(binary.BigEndian.Uint32(q[4:])), int32(binary.BigEndian.Uint32(q[8:]))
			thr, value := math.Float64frombits(binary.BigEndian.Uint64(q[12:])), math.Float64frombits(binary.BigEndian.Uint64(q[20:]))
			if feat < 0 {
				t[j] = fnode{feat: -1, v: value}
				continue
			}
			if left != int32(j)+1 {
				return nil, fmt.Errorf("tree %d node %d: left child %d is not the next node", i, j, left)
			}
			t[j] = fnode{feat: feat, v: thr, right: right}
		}
		if err := checkTree(t, width); err != nil {
			return nil, fmt.Errorf("tree %d: %w", i, err)
		}
		p = p[int(n)*nodeSize:]
		m.Trees[i] = t
	}
	if len(p) != 0 {
		return nil, fmt.Errorf("%d bytes after the last tree", len(p))
	}
	if int(d) != width {
		return nil, fmt.Errorf("the trees are for %d features, the header names %d", d, width)
	}
	return m, nil
}
