package classify

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The payload encodings of format version 2, written by hand rather than
// with encoding/gob: gob is not hardened against adversarial input (its
// documentation says so), and a model file is input that an attacker who
// can write a model controls, checksum included. Every length is checked
// against the bytes left before anything is allocated, and every value is
// checked where it is read, so a decoded model can score a vector of the
// schema's width without panicking.

// enc appends big-endian values to a byte slice.
type enc struct{ b []byte }

func (e *enc) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) f64(v float64)    { e.b = binary.BigEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *enc) f64s(v []float64) {
	for _, x := range v {
		e.f64(x)
	}
}

// dec reads what enc wrote; the first error sticks and later reads return
// zero values.
type dec struct {
	p   []byte
	err error
}

func (d *dec) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

func (d *dec) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.p)
	if n == 0 {
		d.err = ErrTruncated
		return 0
	}
	if n < 0 {
		d.fail("varint overflows 64 bits")
		return 0
	}
	d.p = d.p[n:]
	return v
}

// count reads a uvarint count of items of at least size bytes each, which
// must fit in what is left: the bound on every allocation.
func (d *dec) count(what string, size int) int {
	v := d.uvarint()
	if d.err == nil && v > uint64(len(d.p)/size) {
		d.fail("%s: %d in %d bytes", what, v, len(d.p))
		return 0
	}
	return int(v)
}

// u8 and u32 read a byte and a big-endian uint32; like every reader of d,
// after the first error they return 0.
func (d *dec) u8() byte {
	if d.err != nil {
		return 0
	}
	if len(d.p) < 1 {
		d.err = ErrTruncated
		return 0
	}
	v := d.p[0]
	d.p = d.p[1:]
	return v
}

func (d *dec) u32() uint32 {
	if d.err != nil {
		return 0
	}
	if len(d.p) < 4 {
		d.err = ErrTruncated
		return 0
	}
	v := binary.BigEndian.Uint32(d.p)
	d.p = d.p[4:]
	return v
}

func (d *dec) f64() float64 {
	if d.err != nil {
		return 0
	}
	if len(d.p) < 8 {
		d.err = ErrTruncated
		return 0
	}
	v := math.Float64frombits(binary.BigEndian.Uint64(d.p))
	d.p = d.p[8:]
	return v
}

// finite reads a float64 that must be finite.
func (d *dec) finite(what string) float64 {
	v := d.f64()
	if d.err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
		d.fail("%s is %v", what, v)
	}
	return v
}

// finites reads n finite float64 values.
func (d *dec) finites(what string, n int) []float64 {
	if d.err == nil && len(d.p)/8 < n {
		d.err = fmt.Errorf("%w: %s: %d values in %d bytes", ErrTruncated, what, n, len(d.p))
	}
	if d.err != nil {
		return nil
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = d.finite(fmt.Sprintf("%s[%d]", what, i))
	}
	return v
}

// end fails unless every byte was read.
func (d *dec) end() {
	if d.err == nil && len(d.p) != 0 {
		d.fail("%d bytes after the model", len(d.p))
	}
}

// Scaler: uvarint width (the schema's), width means, width scales.
func encodeScaler(e *enc, s Scaler) {
	e.uvarint(uint64(len(s.Mean)))
	e.f64s(s.Mean)
	e.f64s(s.Scale)
}

func decodeScaler(d *dec, width int) Scaler {
	if w := d.uvarint(); d.err == nil && w != uint64(width) {
		d.fail("the model is for %d features, the schema names %d", w, width)
	}
	s := Scaler{Mean: d.finites("scaler mean", width), Scale: d.finites("scaler scale", width)}
	for j, v := range s.Scale {
		if v <= 0 {
			d.fail("scaler scale[%d] is %v, want > 0", j, v)
		}
	}
	return s
}

// checkScaler reports a scaler whose vectors are not of the schema's width.
func checkScaler(s Scaler, width int) error {
	if len(s.Mean) != width || len(s.Scale) != width {
		return fmt.Errorf("scaler of %d means and %d scales for %d features", len(s.Mean), len(s.Scale), width)
	}
	return nil
}

// logreg: scaler, width weights, intercept.
func encodeLogReg(m *LogRegModel) ([]byte, error) {
	if err := checkScaler(m.Scaler, len(m.W)); err != nil {
		return nil, err
	}
	e := &enc{}
	encodeScaler(e, m.Scaler)
	e.f64s(m.W)
	e.f64(m.B)
	return e.b, nil
}

func decodeLogReg(p []byte, width int) (*LogRegModel, error) {
	d := &dec{p: p}
	m := &LogRegModel{Scaler: decodeScaler(d, width)}
	m.W = d.finites("weight", width)
	m.B = d.finite("intercept")
	d.end()
	return m, d.err
}

// mlp: scaler; uvarint layer count L; L+1 uvarint sizes (the first the
// width, the last 1); per layer out*in weights then out biases.
func encodeMLP(m *MLPModel) ([]byte, error) {
	L := len(m.W)
	if L == 0 || len(m.Sizes) != L+1 || len(m.B) != L {
		return nil, fmt.Errorf("mlp: %d sizes, %d weight and %d bias layers", len(m.Sizes), L, len(m.B))
	}
	if err := checkScaler(m.Scaler, m.Sizes[0]); err != nil {
		return nil, err
	}
	e := &enc{}
	encodeScaler(e, m.Scaler)
	e.uvarint(uint64(L))
	for _, s := range m.Sizes {
		e.uvarint(uint64(s))
	}
	for l := range L {
		if len(m.W[l]) != m.Sizes[l]*m.Sizes[l+1] || len(m.B[l]) != m.Sizes[l+1] {
			return nil, fmt.Errorf("mlp layer %d: %d weights and %d biases for %d x %d", l, len(m.W[l]), len(m.B[l]), m.Sizes[l+1], m.Sizes[l])
		}
		e.f64s(m.W[l])
		e.f64s(m.B[l])
	}
	return e.b, nil
}

func decodeMLP(p []byte, width int) (*MLPModel, error) {
	d := &dec{p: p}
	m := &MLPModel{Scaler: decodeScaler(d, width)}
	L := d.count("layers", 1)
	if d.err == nil && L == 0 {
		d.fail("no layers")
	}
	m.Sizes = make([]int, 0, L+1)
	for l := 0; l <= L && d.err == nil; l++ {
		s := d.count(fmt.Sprintf("layer %d size", l), 1)
		if d.err == nil && s == 0 {
			d.fail("layer %d has no units", l)
		}
		m.Sizes = append(m.Sizes, s)
	}
	if d.err == nil && m.Sizes[0] != width {
		d.fail("input layer of %d units for %d features", m.Sizes[0], width)
	}
	if d.err == nil && m.Sizes[L] != 1 {
		d.fail("output layer of %d units, want 1", m.Sizes[L])
	}
	m.W, m.B = make([][]float64, 0, L), make([][]float64, 0, L)
	for l := 0; l < L && d.err == nil; l++ {
		in, out := uint64(m.Sizes[l]), uint64(m.Sizes[l+1])
		if in*out > uint64(len(d.p)/8) { // sizes are below len(p), so in*out does not overflow
			d.err = fmt.Errorf("%w: layer %d: %d x %d weights in %d bytes", ErrTruncated, l, out, in, len(d.p))
			break
		}
		m.W = append(m.W, d.finites(fmt.Sprintf("layer %d weight", l), int(in*out)))
		m.B = append(m.B, d.finites(fmt.Sprintf("layer %d bias", l), int(out)))
	}
	d.end()
	return m, d.err
}

// kmeans: scaler; uvarint k; k centroids of width values; the scale.
func encodeKMeans(m *KMeansModel) ([]byte, error) {
	width := len(m.Scaler.Mean)
	if err := checkScaler(m.Scaler, width); err != nil {
		return nil, err
	}
	e := &enc{}
	encodeScaler(e, m.Scaler)
	e.uvarint(uint64(len(m.Centroids)))
	for i, c := range m.Centroids {
		if len(c) != width {
			return nil, fmt.Errorf("kmeans centroid %d has %d values for %d features", i, len(c), width)
		}
		e.f64s(c)
	}
	e.f64(m.Scale)
	return e.b, nil
}

func decodeKMeans(p []byte, width int) (*KMeansModel, error) {
	d := &dec{p: p}
	m := &KMeansModel{Scaler: decodeScaler(d, width)}
	k := d.count("centroids", max(8*width, 1))
	if d.err == nil && k == 0 {
		d.fail("no centroids")
	}
	for i := 0; i < k && d.err == nil; i++ {
		m.Centroids = append(m.Centroids, d.finites(fmt.Sprintf("centroid %d", i), width))
	}
	m.Scale = d.finite("scale")
	if d.err == nil && m.Scale <= 0 {
		d.fail("scale %v, want > 0", m.Scale)
	}
	d.end()
	return m, d.err
}

// Trees (rf and malaschitz): uvarint tree count, uvarint node count (all
// trees'; the decoder allocates them at once), then each tree's nodes in
// preorder, each introduced by a tag byte. The structure is implicit: an
// internal node is followed by its left subtree, then its right one, so no
// child index is stored and none can point outside the tree or back into a
// cycle. A tree ends when its last open node's right subtree is complete.
//
//	0            leaf of value 0
//	1            leaf of value 1
//	2+i          leaf of value smallFractions[i] (p/q, 0 < p < q <= 9)
//	29           leaf, one byte p<<4|q follows: value p/q (q < 16)
//	30           leaf, bytes p and q follow: value p/q (q < 256)
//	31           leaf, float64 value follows
//	32           internal node, uvarint feature and float64 threshold follow
//	33+74(k-2)+f internal node on feature f < 74, threshold a float32 of
//	             which the first k bytes (2, 3 or 4) follow, the rest zero
//
// A forest grown here takes the short forms where it can, exactly:
// thresholds are the float32 with the fewest significant bytes that
// separates the rows as the midpoint did (see splitThreshold), and a leaf's
// value is the ratio of two small integers, its genuine and all
// (bootstrap-weighted) rows, which p/q holds exactly. That is about 2 bytes
// a node where version 1 took 28; any other value is stored exactly in 8.
const (
	tagLeaf0       = 0
	tagLeaf1       = 1
	tagLeafSmall   = 2                            // + index in smallFractions
	tagLeafNibbles = tagLeafSmall + 27 + iota - 3 // 27 small fractions
	tagLeafBytes
	tagLeaf64
	tagSplit64
	tagSplitShort // + (bytes-2)*maxShortFeature + feature
	// maxShortFeature: features from here on take the long form.
	maxShortFeature = (256 - tagSplitShort) / 3
)

// smallFractions are the reduced fractions p/q with 0 < p < q <= 9, by q
// then p: the values of most impure leaves of a forest grown with a small
// minimum leaf, one byte each. smallIndex[p][q] is 1 + the index of p/q.
var (
	smallFractions [27][2]uint8
	smallIndex     [10][10]uint8
)

func init() {
	i := 0
	for q := 2; q <= 9; q++ {
		for p := 1; p < q; p++ {
			if gcd(p, q) == 1 {
				smallFractions[i] = [2]uint8{uint8(p), uint8(q)}
				smallIndex[p][q] = uint8(i + 1)
				i++
			}
		}
	}
	if i != len(smallFractions) {
		panic("classify: smallFractions is mis-sized")
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// maxTrees bounds the tree count of a decoded forest.
const maxTrees = 1 << 16

// float32Bytes returns how many leading bytes of v's float32 bits are
// needed to hold v (2, 3 or 4), or 0 if v is not a float32.
func float32Bytes(v float64) int {
	f := float32(v)
	if float64(f) != v {
		return 0
	}
	bits := math.Float32bits(f)
	switch {
	case bits&0xffff == 0:
		return 2
	case bits&0xff == 0:
		return 3
	}
	return 4
}

// fraction returns p and q < 256 with p/q == v in float64 arithmetic, the
// smallest such q (so p/q is reduced), or q = 0 if there are none.
func fraction(v float64) (p, q int) {
	for q := 2; q < 256; q++ {
		p := math.Round(v * float64(q))
		if p/float64(q) == v {
			return int(p), q
		}
	}
	return 0, 0
}

func encodeTrees(trees [][]fnode, width int) ([]byte, error) {
	e := &enc{}
	e.uvarint(uint64(len(trees)))
	total := 0
	for _, t := range trees {
		total += len(t)
	}
	e.uvarint(uint64(total))
	for ti, t := range trees {
		if err := checkTree(t, width); err != nil {
			return nil, fmt.Errorf("tree %d: %w", ti, err)
		}
		for _, n := range t {
			if n.feat < 0 {
				if n.v == 0 || n.v == 1 {
					e.b = append(e.b, byte(n.v)) // tagLeaf0, tagLeaf1
					continue
				}
				switch p, q := fraction(n.v); {
				case q > 0 && q <= 9:
					e.b = append(e.b, byte(tagLeafSmall+int(smallIndex[p][q])-1))
				case q > 0 && q < 16:
					e.b = append(e.b, tagLeafNibbles, byte(p<<4|q))
				case q > 0:
					e.b = append(e.b, tagLeafBytes, byte(p), byte(q))
				default:
					e.b = append(e.b, tagLeaf64)
					e.f64(n.v)
				}
				continue
			}
			if k := float32Bytes(n.v); k > 0 && n.feat < maxShortFeature {
				var b [4]byte
				binary.BigEndian.PutUint32(b[:], math.Float32bits(float32(n.v)))
				e.b = append(e.b, byte(tagSplitShort+(k-2)*maxShortFeature+int(n.feat)))
				e.b = append(e.b, b[:k]...)
				continue
			}
			e.b = append(e.b, tagSplit64)
			e.uvarint(uint64(n.feat))
			e.f64(n.v)
		}
	}
	return e.b, nil
}

// checkTree checks an in-memory tree: a preorder tree whose leaf values are
// in [0, 1], thresholds finite and features below width. The encoder writes
// only such trees, so what it writes decodes to the same tree.
func checkTree(t []fnode, width int) error {
	if len(t) == 0 {
		return fmt.Errorf("no nodes")
	}
	// end[i] is one past the last node of i's subtree; in preorder an
	// internal node's right child starts where its left subtree ends.
	end := make([]int32, len(t))
	for i := len(t) - 1; i >= 0; i-- {
		n := t[i]
		if n.feat < 0 {
			if !(n.v >= 0 && n.v <= 1) {
				return fmt.Errorf("node %d: leaf value %v outside [0, 1]", i, n.v)
			}
			end[i] = int32(i) + 1
			continue
		}
		if int(n.feat) >= width {
			return fmt.Errorf("node %d splits on feature %d; the schema has %d features", i, n.feat, width)
		}
		if math.IsNaN(n.v) || math.IsInf(n.v, 0) {
			return fmt.Errorf("node %d: threshold %v", i, n.v)
		}
		if i+1 >= len(t) || n.right != end[i+1] || int(n.right) >= len(t) {
			return fmt.Errorf("node %d: children are not in preorder (left %d, right %d of %d nodes)", i, i+1, n.right, len(t))
		}
		end[i] = end[n.right]
	}
	if end[0] != int32(len(t)) {
		return fmt.Errorf("%d nodes, the root's subtree has %d", len(t), end[0])
	}
	return nil
}

// decodeTrees reads the trees of a forest whose schema has width features.
// All nodes share one allocation, of the declared count (at most one node
// a byte).
func decodeTrees(d *dec, width int) [][]fnode {
	n := d.count("trees", 1)
	if d.err == nil && (n == 0 || n > maxTrees) {
		d.fail("%d trees, want 1 to %d", n, maxTrees)
	}
	total := d.count("nodes", 1)
	if d.err != nil {
		return nil
	}
	// Read from a local slice by index, not through d: a write of d.p is a
	// pointer write through a pointer, with a GC write barrier per byte
	// read (a third of the load time when measured).
	p, at := d.p, 0
	fail := func(ti int, i int32, format string, args ...any) [][]fnode {
		d.err = fmt.Errorf("tree %d node %d: "+format, append([]any{ti, i}, args...)...)
		return nil
	}
	ends := make([]int, n)
	nodes := make([]fnode, 0, total)
	var open []int32 // internal nodes whose right subtree has not started
	for ti := range ends {
		start := len(nodes)
		for {
			i := int32(len(nodes) - start)
			if at >= len(p) {
				return fail(ti, i, "%w", ErrTruncated)
			}
			tag := p[at]
			at++
			if tag >= tagSplit64 {
				var feat uint64
				var thr float64
				if tag == tagSplit64 {
					k := 0
					if feat, k = binary.Uvarint(p[at:]); k <= 0 || len(p)-at-k < 8 {
						return fail(ti, i, "%w", ErrTruncated)
					}
					thr = math.Float64frombits(binary.BigEndian.Uint64(p[at+k:]))
					at += k + 8
				} else {
					k := 2 + int(tag-tagSplitShort)/maxShortFeature
					if len(p)-at < k {
						return fail(ti, i, "%w", ErrTruncated)
					}
					var b [4]byte
					copy(b[:], p[at:at+k])
					at += k
					feat = uint64(tag-tagSplitShort) % maxShortFeature
					thr = float64(math.Float32frombits(binary.BigEndian.Uint32(b[:])))
				}
				if feat >= uint64(width) {
					return fail(ti, i, "splits on feature %d; the schema has %d features", feat, width)
				}
				if math.IsNaN(thr) || math.IsInf(thr, 0) {
					return fail(ti, i, "threshold %v", thr)
				}
				nodes = append(nodes, fnode{feat: int32(feat), v: thr})
				open = append(open, i)
				continue
			}
			size := 0 // bytes after the tag
			switch tag {
			case tagLeafNibbles:
				size = 1
			case tagLeafBytes:
				size = 2
			case tagLeaf64:
				size = 8
			}
			if len(p)-at < size {
				return fail(ti, i, "%w", ErrTruncated)
			}
			var v float64
			switch {
			case tag == tagLeaf0, tag == tagLeaf1:
				v = float64(tag)
			case tag < tagLeafNibbles:
				f := smallFractions[tag-tagLeafSmall]
				v = float64(f[0]) / float64(f[1])
			case tag == tagLeafNibbles:
				v = float64(p[at]>>4) / float64(p[at]&15)
			case tag == tagLeafBytes:
				v = float64(p[at]) / float64(p[at+1])
			case tag == tagLeaf64:
				v = math.Float64frombits(binary.BigEndian.Uint64(p[at:]))
			}
			at += size
			if !(v >= 0 && v <= 1) {
				return fail(ti, i, "leaf value %v outside [0, 1]", v)
			}
			nodes = append(nodes, fnode{feat: -1, v: v})
			if len(open) == 0 {
				break // the tree is complete
			}
			nodes[start+int(open[len(open)-1])].right = i + 1
			open = open[:len(open)-1]
		}
		ends[ti] = len(nodes)
	}
	if len(nodes) != total {
		d.fail("%d nodes in the trees, %d declared", len(nodes), total)
		return nil
	}
	d.p = p[at:]
	trees := make([][]fnode, n)
	start := 0
	for ti, end := range ends {
		trees[ti] = nodes[start:end:end]
		start = end
	}
	return trees
}
