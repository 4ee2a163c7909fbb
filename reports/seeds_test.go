package reports

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/reports/reportstest"
)

// seedsHoldoutRun is a multi-seed run with a held-out result as well.
func seedsHoldoutRun() *evaluate.Run {
	run := reportstest.SeedsRun()
	h := reportstest.Holdout()
	h.Seeds = &evaluate.HoldoutSeeds{Seeds: run.Seeds,
		SessionAUC: evaluate.NewSeedStat([]float64{0.8, 0.82, 0.79, 0.81}), SessionEER: evaluate.NewSeedStat([]float64{0.3, 0.28, 0.31, 0.3}),
		ActionAUC: evaluate.NewSeedStat([]float64{0.7, 0.71, 0.69, 0.7}), ActionEER: evaluate.NewSeedStat([]float64{0.35, 0.34, 0.36, 0.35}),
		UserMeanAUC: evaluate.NewSeedStat([]float64{0.67, 0.68, 0.66, 0.67}), UserSDAUC: evaluate.NewSeedStat([]float64{0.17, 0.16, 0.18, 0.17})}
	run.Holdouts = []evaluate.HoldoutResult{h}
	for i := range run.PerSeed {
		c := h
		c.Seed = run.Seeds[i]
		run.PerSeed[i].Holdouts = []evaluate.HoldoutResult{c}
	}
	return run
}

func TestWriteHTMLSeeds(t *testing.T) {
	t.Parallel()
	run := reportstest.SeedsRun()
	page := renderPage(t, run)
	st := run.Results[0].Summary[0].Stats
	for _, want := range []string{
		"mean per-user AUC", fixed3(st.MeanAUC.Value), "[" + fixed3(*st.MeanAUC.Lo) + ", " + fixed3(*st.MeanAUC.Hi) + "]",
		`id="differences"`, "interval excludes zero", "Wilcoxon signed-rank",
		"seeds 0-3 folded in", "<dt>Seeds</dt><dd>0-3 (4 seeds)</dd>", "Curves and intervals are over seeds 0-3",
		"per-user figures and curves: seed 0 of 0-3",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if !strings.Contains(page, "· seeds 0-3</p>") || strings.Contains(page, "· seed 0</p>") {
		t.Error("a multi-seed run's settings should name its seeds, not one seed")
	}
	// Differences come right after the summary, before the comparison.
	if i, j, k := strings.Index(page, `id="summary"`), strings.Index(page, `id="differences"`), strings.Index(page, `id="compare"`); !(i < j && j < k) {
		t.Errorf("summary at %d, differences at %d, comparison at %d", i, j, k)
	}
	// Many differences: those called are shown, every one collapsed.
	var many []evaluate.Difference
	for i := range 20 {
		many = append(many, evaluate.Difference{Kind: "compare", A: "a", B: "b", Window: i + 1, Diff: evaluate.Estimate{Value: 0.01}, IntervalExcludesZero: i%5 == 0})
	}
	shown, all := differenceTables(many)
	if len(shown.Rows) != 4 || all == nil || len(all.Rows) != 20 {
		t.Errorf("shown %d, all %v", len(shown.Rows), all)
	}
}

// TestPublishedDifferences compares with the published figure when, and
// only when, the input is the published file: our interval shifted, no
// paired test.
func TestPublishedDifferences(t *testing.T) {
	t.Parallel()
	run := reportstest.SeedsRun()
	if ds := AllDifferences(run); len(ds) != len(run.Differences) {
		t.Errorf("unknown input: %d differences, want the run's %d", len(ds), len(run.Differences))
	}
	dfl := PublishedFigures[0]
	run.Manifest.Inputs = []evaluate.Input{{Path: dfl.File, SHA256: dfl.SHA256}}
	var pub []evaluate.Difference
	for _, d := range AllDifferences(run) {
		if d.Kind == "published" {
			pub = append(pub, d)
		}
	}
	// Two results at windows 1 and 10, both published.
	if len(pub) != 4 {
		t.Fatalf("%d published differences, want 4: %+v", len(pub), pub)
	}
	e := run.Results[0].Summary[0].Stats.MeanAUC
	p := dfl.AUC[1][0]
	if d := pub[0]; d.Window != 1 || math.Abs(d.Diff.Value-(e.Value-p)) > 1e-12 || math.Abs(*d.Diff.Lo-(*e.Lo-p)) > 1e-12 ||
		d.WilcoxonP != nil || d.NA == "" || d.IntervalExcludesZero != (*d.Diff.Lo > 0 || *d.Diff.Hi < 0) {
		t.Errorf("published difference %+v", d)
	}
	page := renderPage(t, run)
	if !strings.Contains(page, "published (Antal &amp; Dénes-Fazakas 2019)") || !strings.Contains(page, "one number, one seed") {
		t.Error("the page does not compare with the published figure")
	}
	run.Manifest.Inputs[0].SHA256 = strings.Repeat("0", 64)
	for _, d := range AllDifferences(run) {
		if d.Kind == "published" {
			t.Fatal("compared with the published figure on other file content")
		}
	}
}

func TestWriteHTMLHoldout(t *testing.T) {
	t.Parallel()
	run := &evaluate.Run{Holdouts: []evaluate.HoldoutResult{reportstest.Holdout()}}
	page := renderPage(t, run)
	for _, want := range []string{`id="holdout"`, "Held-out evaluation: rf, mean of action scores, train train_files, test test_files",
		"session AUC (every trial of 1 seed(s) pooled; interval over 3 claimed users)", "0.800 [0.610, 0.930]", "action AUC (every action pooled)", "0.700",
		"per-user session AUC, mean over 2 users (sd over users; seed 3)", "1 genuine and 0 impostor test sessions: AUC undefined",
		"1 test sessions have no label", `id="fig-holdout_roc"`, `id="fig-holdout_det"`, "features clean"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "no results, sweeps or thresholds") {
		t.Error("a held-out run is reported as empty")
	}
	page = renderPage(t, seedsHoldoutRun())
	for _, want := range []string{"value [95% CI]", "Every seed (4)"} {
		if !strings.Contains(page, want) {
			t.Errorf("multi-seed held-out page lacks %q", want)
		}
	}
	if i, j := strings.Index(page, `id="holdout"`), strings.Index(page, `id="summary"`); i < 0 || i > j {
		t.Errorf("held-out section at %d, summary at %d: want it first", i, j)
	}
}

func TestTablesSeedsHoldout(t *testing.T) {
	t.Parallel()
	run := seedsHoldoutRun()
	var names []string
	for _, nt := range Tables(run) {
		names = append(names, nt.Name)
	}
	if got, want := strings.Join(names, ","), "holdout,holdout_users,holdout_sessions,summary,per_seed,differences,rankings,users,inputs"; got != want {
		t.Fatalf("tables\n %s, want\n %s", got, want)
	}
	ho := HoldoutTable(run.Holdouts)
	h := run.Holdouts[0]
	if len(ho.Rows) != 1 || ho.Rows[0][0] != "rf" || ho.Rows[0][7] != h.Stats.SessionAUC.Value || ho.Rows[0][8] != *h.Stats.SessionAUC.Lo {
		t.Errorf("holdout table %v %v", ho.Columns, ho.Rows)
	}
}

func TestCheckHoldout(t *testing.T) {
	t.Parallel()
	run := &evaluate.Run{Holdouts: []evaluate.HoldoutResult{reportstest.Holdout()}}
	run.Holdouts[0].Actions.ROC.TPR = run.Holdouts[0].Actions.ROC.TPR[:3]
	if err := Check(run); err == nil || !strings.Contains(err.Error(), "holdouts[0].actions.roc") {
		t.Errorf("err = %v, want it to name holdouts[0].actions.roc", err)
	}
	if _, err := Figures(run, ScreenStyle()); err == nil {
		t.Error("Figures drew a broken curve")
	}
}

// TestSeedsHoldoutReportInBrowser opens the report of a multi-seed run with
// a held-out result in Chromium: every figure drawn, nothing wider than the
// window, nothing loaded from outside, the held-out section and the
// summary before the details.
func TestSeedsHoldoutReportInBrowser(t *testing.T) {
	chromium := findChromium(t)
	dir := t.TempDir()
	run := seedsHoldoutRun()
	if _, err := Write(context.Background(), dir, run, Options{Style: svgOnly()}); err != nil {
		t.Fatal(err)
	}
	figs, err := Figures(run, ScreenStyle())
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, ReportHTML))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(page), "style-src &#39;unsafe-inline&#39;", "style-src &#39;unsafe-inline&#39;; script-src &#39;unsafe-inline&#39;", 1)
	s = strings.Replace(s, "</body>", probe+"</body>", 1)
	probePage := filepath.Join(dir, "probe.html")
	if err := os.WriteFile(probePage, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, width := range []int{1280, 800} {
		t.Run(fmt.Sprintf("%d px", width), func(t *testing.T) {
			dom := string(headless(t, chromium, probePage, "--virtual-time-budget=5000",
				fmt.Sprintf("--window-size=%d,900", width), "--dump-dom"))
			if svgs := preText(t, dom, "probe-svgs"); len(svgs) != len(figs) {
				t.Errorf("browser sees %d figures, want %d", len(svgs), len(figs))
			}
			if v := preText(t, dom, "probe-violations"); len(v) > 0 {
				t.Errorf("the page tried to load outside resources: %v", v)
			}
			for _, line := range preText(t, dom, "probe-scroll") {
				f := strings.Fields(line)
				sw, _ := strconv.Atoi(f[1])
				iw, _ := strconv.Atoi(f[2])
				if iw != width || sw > iw {
					t.Errorf("%s: page %d px wide in a %d px window: %s", f[0], sw, iw, strings.Join(f[3:], " "))
				}
			}
			pos := map[string]int{}
			for _, line := range preText(t, dom, "probe-positions") {
				f := strings.Fields(line)
				pos[f[0]], _ = strconv.Atoi(f[1])
			}
			if !(pos["summary"] < pos["compare"] && pos["compare"] < pos["manifest"]) {
				t.Errorf("sections at %v: want summary, comparison, manifest in that order", pos)
			}
			for _, want := range []string{"mean per-user AUC", "Differences", "Held-out evaluation"} {
				if !strings.Contains(dom, want) {
					t.Errorf("DOM lacks %q", want)
				}
			}
		})
	}
}
