package classify

import "golang.org/x/sys/cpu"

// useAVX selects the assembly of addRows4: one 256-bit addition of a row's
// gradient, hessian and count to its bin (AVX, every x86-64 since 2011).
var useAVX = cpu.X86.HasAVX

// addRows4AVX is addRows4Go in assembly (gbdt_hist_amd64.s): Go has no
// vector instructions, and the histogram is the fit's inner loop. Per row
// and feature it loads the bin index, adds the row's 32 bytes to the bin's
// and stores them: three memory operations where Go's scalar code makes
// seven (three loads, three stores and the index). The additions are the
// scalar ones, lane by lane in the same order: the sums are the same, bit
// for bit. h0 to h3 hold 256 bins and gh len(rows) rows (addRows4
// checks), and every rows[k] indexes the columns c0 to c3 (unchecked: a
// fit's rows are a permutation of its training rows, made by the fit).
//
//go:noescape
func addRows4AVX(h0, h1, h2, h3 *histBin, c0, c1, c2, c3 *uint8, rows []int32, gh *histBin)

// addRows4 adds row k of gh to the bin of row rows[k] in each of four
// features' histograms (see addRows4Go).
func addRows4(h0, h1, h2, h3 *[256]histBin, c0, c1, c2, c3 []uint8, rows []int32, gh []histBin) {
	if !useAVX || len(rows) == 0 {
		addRows4Go(h0, h1, h2, h3, c0, c1, c2, c3, rows, gh)
		return
	}
	n := len(c0)
	if len(c1) != n || len(c2) != n || len(c3) != n || len(gh) < len(rows) {
		panic("classify: addRows4: columns or gradients of the wrong length")
	}
	addRows4AVX(&h0[0], &h1[0], &h2[0], &h3[0], &c0[0], &c1[0], &c2[0], &c3[0], rows, &gh[0])
}

// nextCandidateAVX is nextCandidateGo over the first n bins (a multiple
// of 4) in assembly, four bins at a time: the same operations in the same
// order (no fused multiply-add), so the same bins pass.
//
//go:noescape
func nextCandidateAVX(cg, ch *float64, n int, G, H, lambda, bar float64) int

// subBinsAVX is subBinsGo over n bins in assembly, a bin at a time.
//
//go:noescape
func subBinsAVX(h, o *histBin, n int)

// subBins subtracts o's bins from h's (see subBinsGo).
func subBins(h, o []histBin) {
	if !useAVX || len(h) == 0 {
		subBinsGo(h, o)
		return
	}
	if len(o) < len(h) {
		panic("classify: subBins: fewer bins to subtract")
	}
	subBinsAVX(&h[0], &o[0], len(h))
}

// cumulate2AVX is cumulate2Go in assembly, a bin's three sums in one
// 256-bit addition: ga and gb point at the running gradients of the two
// features' first bins, their hessians and counts stride bytes and twice
// that on, and both features have n bins, n > 0.
//
//go:noescape
func cumulate2AVX(ha, hb *histBin, ga, gb *float64, stride, n int)

// cumulate2 sets the running sums from bin offA on to those of the bins
// ha, and from offB on to those of hb (see cumulate2Go).
func (g *boostGrower) cumulate2(ha, hb []histBin, offA, offB int) {
	n := len(ha)
	if !useAVX || n == 0 {
		g.cumulate2Go(ha, hb, offA, offB)
		return
	}
	D := len(g.cumG)
	if len(hb) != n || len(g.cum) != 3*D || offA < 0 || offB < 0 || offA+n > D || offB+n > D {
		panic("classify: cumulate2: bins out of range")
	}
	cumulate2AVX(&ha[0], &hb[0], &g.cum[offA], &g.cum[offB], 8*D, n)
}

// useExpAVX selects lossGradientsAVX: math.Exp computes with fused
// multiply-adds where the CPU has AVX and FMA, and the assembly does the
// same four rows at once (AVX2 for the exponent's integer lanes).
var useExpAVX = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// lossGradientsAVX is lossGradientsGo four rows at a time in assembly,
// with math.Exp's operations on a CPU with FMA (exp_amd64.s, for
// arguments within ±700) in four lanes: the same values, bit for bit.
// Go has no vector instructions, and the gradients are computed for every
// row of every round. It returns the rows done, a multiple of 4: the
// first four rows left hold a log-odds beyond ±700 or not finite. Every
// row must index gh, f and y, and len(rows) must be a multiple of 4.
//
//go:noescape
func lossGradientsAVX(gh *histBin, f, y *float64, rows []int32) int
