//go:build !amd64

package classify

// addRows4 adds row k of gh to the bin of row rows[k] in each of four
// features' histograms (see addRows4Go).
func addRows4(h0, h1, h2, h3 *[256]histBin, c0, c1, c2, c3 []uint8, rows []int32, gh []histBin) {
	addRows4Go(h0, h1, h2, h3, c0, c1, c2, c3, rows, gh)
}

const useAVX = false

func nextCandidateAVX(cg, ch *float64, n int, G, H, lambda, bar float64) int {
	panic("classify: no AVX")
}

// subBins subtracts o's bins from h's (see subBinsGo).
func subBins(h, o []histBin) { subBinsGo(h, o) }

// cumulate2 sets the running sums from bin offA on to those of the bins
// ha, and from offB on to those of hb (see cumulate2Go).
func (g *boostGrower) cumulate2(ha, hb []histBin, offA, offB int) {
	g.cumulate2Go(ha, hb, offA, offB)
}

const useExpAVX = false

func lossGradientsAVX(gh *histBin, f, y *float64, rows []int32) int {
	panic("classify: no AVX")
}
