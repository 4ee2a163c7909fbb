package classify

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"time"

	randomforest "github.com/malaschitz/randomForest"
)

// The model file format, version 1. All integers are big-endian.
//
//	magic      8 bytes  "MAUTHMDL"
//	version    uint16   1
//	header     uint32 length, then JSON: [Header]
//	payload    uint32 length, then the classifier's own encoding
//	checksum   uint32   CRC-32C (Castagnoli) of every byte before it
//
// The random forest's payload is its trees: uint32 tree count, then per tree
// a uint32 node count and per node int32 feature (-1 for a leaf), int32
// left, int32 right, float64 threshold, float64 value (IEEE bits), so a
// loaded model scores bit for bit like the saved one.
const (
	magic         = "MAUTHMDL"
	FormatVersion = 1
	maxSection    = 1 << 30
)

// Errors from [Load].
var (
	ErrNotAModel          = errors.New("not a mouseauth model file (bad magic)")
	ErrUnsupportedVersion = errors.New("unsupported model format version")
	ErrChecksum           = errors.New("model file checksum mismatch: the file is corrupt")
	ErrTruncated          = errors.New("model file is truncated")
)

// Header describes a saved model: what it is and what it was trained on.
type Header struct {
	Classifier   string            `json:"classifier"`
	Params       map[string]string `json:"params,omitempty"`
	FeatureNames []string          `json:"feature_names"`
	User         string            `json:"user"`
	Genuine      int               `json:"genuine_rows"`
	Impostor     int               `json:"impostor_rows"`
	Seed         int64             `json:"seed"`
	Created      time.Time         `json:"created"`
}

// SavedModel is a model with its header.
type SavedModel struct {
	Header Header
	Model  Model
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Save writes m in the model file format.
func Save(w io.Writer, m *SavedModel) error {
	payload, name, err := encodePayload(m.Model)
	if err != nil {
		return err
	}
	h := m.Header
	if h.Classifier == "" {
		h.Classifier = name
	}
	if h.Classifier != name {
		return fmt.Errorf("save model: header says %q, model is %q", h.Classifier, name)
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	var b bytes.Buffer
	b.WriteString(magic)
	binary.Write(&b, binary.BigEndian, uint16(FormatVersion))
	binary.Write(&b, binary.BigEndian, uint32(len(hdr)))
	b.Write(hdr)
	binary.Write(&b, binary.BigEndian, uint32(len(payload)))
	b.Write(payload)
	binary.Write(&b, binary.BigEndian, crc32.Checksum(b.Bytes(), castagnoli))
	_, err = w.Write(b.Bytes())
	return err
}

// Load reads a model written by [Save]. The error says whether the file is
// not a model, of an unknown version, corrupt or truncated.
func Load(r io.Reader) (*SavedModel, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
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
	if v := binary.BigEndian.Uint16(p); v != FormatVersion {
		return nil, fmt.Errorf("%w: %d (this build reads %d)", ErrUnsupportedVersion, v, FormatVersion)
	}
	p = p[2:]
	hdr, p, err := section(p)
	if err != nil {
		return nil, err
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
		return nil, fmt.Errorf("model header: %w", err)
	}
	if m.Model, err = decodePayload(m.Header.Classifier, payload); err != nil {
		return nil, fmt.Errorf("model payload (%s): %w", m.Header.Classifier, err)
	}
	return &m, nil
}

func section(p []byte) (sec, rest []byte, err error) {
	if len(p) < 4 {
		return nil, nil, ErrTruncated
	}
	n := binary.BigEndian.Uint32(p)
	if n > maxSection {
		return nil, nil, fmt.Errorf("%w: section of %d bytes", ErrChecksum, n)
	}
	p = p[4:]
	if uint32(len(p)) < n {
		return nil, nil, ErrTruncated
	}
	return p[:n], p[n:], nil
}

func encodePayload(m Model) ([]byte, string, error) {
	switch fm := m.(type) {
	case *ForestModel:
		var b bytes.Buffer
		put := func(v any) { binary.Write(&b, binary.BigEndian, v) }
		put(uint32(fm.D))
		put(uint32(len(fm.Trees)))
		for _, t := range fm.Trees {
			put(uint32(len(t)))
			for _, n := range t {
				put(n.feat)
				put(n.left)
				put(n.right)
				put(math.Float64bits(n.thr))
				put(math.Float64bits(n.value))
			}
		}
		return b.Bytes(), "rf", nil
	case *LogRegModel:
		return gobBytes(fm, "logreg")
	case *MLPModel:
		return gobBytes(fm, "mlp")
	case *KMeansModel:
		return gobBytes(fm, "kmeans")
	case *MalaschitzModel:
		return gobBytes(fm.Forest, "malaschitz")
	}
	return nil, "", fmt.Errorf("save model: no file encoding for %T", m)
}

func decodePayload(classifier string, p []byte) (Model, error) {
	switch classifier {
	case "rf":
		// Decoded from the slice by hand, not with binary.Read per field:
		// loading is a cache miss in the live service, and binary.Read
		// allocated for every field (2.3 ms and 100 000 allocations for a
		// 100-tree model).
		const nodeSize = 28 // int32 feat, left, right; float64 thr, value
		if len(p) < 8 {
			return nil, ErrTruncated
		}
		d, trees := binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:])
		p = p[8:]
		if trees == 0 || uint64(trees)*4 > uint64(len(p)) {
			return nil, fmt.Errorf("%d trees in %d bytes", trees, len(p))
		}
		m := &ForestModel{D: int(d), Trees: make([][]fnode, trees)}
		for i := range m.Trees {
			if len(p) < 4 {
				return nil, ErrTruncated
			}
			n := binary.BigEndian.Uint32(p)
			p = p[4:]
			if uint64(n)*nodeSize > uint64(len(p)) || n == 0 {
				return nil, fmt.Errorf("tree %d: %d nodes in %d bytes", i, n, len(p))
			}
			t := make([]fnode, n)
			for j := range t {
				q := p[j*nodeSize:]
				t[j] = fnode{feat: int32(binary.BigEndian.Uint32(q)), left: int32(binary.BigEndian.Uint32(q[4:])),
					right: int32(binary.BigEndian.Uint32(q[8:])), thr: math.Float64frombits(binary.BigEndian.Uint64(q[12:])),
					value: math.Float64frombits(binary.BigEndian.Uint64(q[20:]))}
				if !(t[j].value >= 0 && t[j].value <= 1) {
					return nil, fmt.Errorf("tree %d node %d: value %v outside [0, 1]", i, j, t[j].value)
				}
				// A node's children come after it, so traversal ends.
				if t[j].feat >= 0 && (t[j].feat >= int32(d) || t[j].left <= int32(j) || t[j].right <= int32(j) ||
					t[j].left >= int32(n) || t[j].right >= int32(n)) {
					return nil, fmt.Errorf("tree %d node %d: bad links", i, j)
				}
			}
			p = p[int(n)*nodeSize:]
			m.Trees[i] = t
		}
		if len(p) != 0 {
			return nil, fmt.Errorf("%d bytes after the last tree", len(p))
		}
		return m, nil
	case "logreg":
		return gobModel(p, &LogRegModel{})
	case "mlp":
		return gobModel(p, &MLPModel{})
	case "kmeans":
		return gobModel(p, &KMeansModel{})
	case "malaschitz":
		var f randomforest.Forest
		if err := gob.NewDecoder(bytes.NewReader(p)).Decode(&f); err != nil {
			return nil, err
		}
		return &MalaschitzModel{Forest: &f}, nil
	}
	return nil, fmt.Errorf("unknown classifier %q", classifier)
}

// gobBytes encodes the payload of the models other than the forest with
// encoding/gob, which keeps float64 values exact.
func gobBytes(v any, name string) ([]byte, string, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		return nil, "", fmt.Errorf("save %s model: %w", name, err)
	}
	return b.Bytes(), name, nil
}

func gobModel[M Model](p []byte, m M) (Model, error) {
	if err := gob.NewDecoder(bytes.NewReader(p)).Decode(m); err != nil {
		return nil, err
	}
	return m, nil
}
