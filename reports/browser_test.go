package reports

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/reports/reportstest"
)

// findChromium returns the path of a headless-capable Chromium, or skips the
// test (fails it when MOUSEAUTH_REQUIRE_ALL=1, as in CI).
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "chromium not found in PATH: install the Debian package chromium (apt-get install chromium) to run the report browser test"
	if os.Getenv("MOUSEAUTH_REQUIRE_ALL") == "1" {
		t.Fatal(msg + " (MOUSEAUTH_REQUIRE_ALL=1 forbids skipping)")
	}
	t.Skip(msg)
	return ""
}

// headless runs Chromium on a file with the given extra flags and returns stdout.
func headless(t *testing.T, chromium, file string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir()}, extra...)
	args = append(args, "file://"+file)
	cmd := exec.CommandContext(ctx, chromium, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%s", chromium, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// probe is appended to a copy of report.html: once the page has loaded it
// writes, into the DOM, every figure's rendered size, the page's layout
// (where the sections start, whether anything is wider than the window,
// with the collapsed sections closed and then open), every table's rows and
// height, and every Content Security Policy violation (an attempt to load
// anything from outside the page).
const probe = `<script>
var violations = [];
document.addEventListener('securitypolicyviolation', function (e) { violations.push(e.violatedDirective + ' ' + e.blockedURI); });
window.addEventListener('load', function () {
  var results = {};
  var svgs = [];
  document.querySelectorAll('svg.plot').forEach(function (s) {
    var r = s.getBoundingClientRect();
    svgs.push(s.parentNode.id + ' ' + Math.round(r.width) + ' ' + Math.round(r.height) + ' ' + (s.closest('details') ? 'collapsed' : 'shown'));
  });
  results['probe-svgs'] = svgs;
  var pos = [];
  ['summary', 'compare', 'manifest'].forEach(function (id) {
    var e = document.getElementById(id);
    if (e) pos.push(id + ' ' + Math.round(e.getBoundingClientRect().top + window.scrollY));
  });
  var d = document.querySelector('details');
  if (d) pos.push('details ' + Math.round(d.getBoundingClientRect().top + window.scrollY));
  results['probe-positions'] = pos;
  var fit = [];
  document.querySelectorAll('.scroll').forEach(function (d) {
    var t = d.querySelector('table');
    if (t && d.closest('section') && d.closest('section').id === 'summary') fit.push('summary ' + Math.round(t.getBoundingClientRect().width) + ' ' + Math.round(d.clientWidth));
  });
  results['probe-fit'] = fit;
  var wide = function () {
    var out = [];
    document.querySelectorAll('body *').forEach(function (e) {
      var r = e.getBoundingClientRect();
      if (r.width > 0 && r.right > window.innerWidth + 0.5 && !e.closest('.scroll')) out.push(e.tagName + (e.id ? '#' + e.id : '') + ' right ' + Math.round(r.right));
    });
    return out.slice(0, 5).join(', ');
  };
  var scroll = ['closed ' + document.documentElement.scrollWidth + ' ' + window.innerWidth + ' ' + wide()];
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  scroll.push('open ' + document.documentElement.scrollWidth + ' ' + window.innerWidth + ' ' + wide());
  results['probe-scroll'] = scroll;
  var rows = [];
  document.querySelectorAll('table').forEach(function (t) { rows.push(t.rows.length + ' ' + t.getBoundingClientRect().height); });
  results['probe-tables'] = rows;
  results['probe-violations'] = violations;
  for (var id in results) {
    var pre = document.createElement('pre'); pre.id = id; pre.textContent = results[id].join('\n');
    document.body.appendChild(pre);
  }
});
</script>
`

func TestReportInBrowser(t *testing.T) {
	chromium := findChromium(t)
	dir := t.TempDir()
	run := reportstest.Run()
	if _, err := Write(context.Background(), dir, run, Options{Style: svgOnly()}); err != nil {
		t.Fatal(err)
	}
	figs, err := Figures(run, ScreenStyle())
	if err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, ReportHTML)
	page, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	// The probe page is the report plus the script; the policy is the
	// report's own with inline scripts allowed, nothing else.
	s := string(page)
	if !strings.Contains(s, "style-src &#39;unsafe-inline&#39;") {
		t.Fatal("report has no Content-Security-Policy to extend")
	}
	s = strings.Replace(s, "style-src &#39;unsafe-inline&#39;", "style-src &#39;unsafe-inline&#39;; script-src &#39;unsafe-inline&#39;", 1)
	s = strings.Replace(s, "</body>", probe+"</body>", 1)
	probePage := filepath.Join(dir, "probe.html")
	if err := os.WriteFile(probePage, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, width := range []int{1280, 800} {
		t.Run(fmt.Sprintf("dom at %d px", width), func(t *testing.T) {
			dom := string(headless(t, chromium, probePage, "--virtual-time-budget=5000",
				fmt.Sprintf("--window-size=%d,900", width), "--dump-dom"))

			// Every figure is on the page as SVG; those not collapsed are
			// drawn at least 360 px wide with the figure's 3:2 shape (6 × 4 in).
			svgs := preText(t, dom, "probe-svgs")
			if len(svgs) != len(figs) {
				t.Fatalf("browser sees %d figures, want %d:\n%s", len(svgs), len(figs), strings.Join(svgs, "\n"))
			}
			seen := map[string]bool{}
			for _, line := range svgs {
				f := strings.Fields(line)
				if len(f) != 4 {
					t.Fatalf("probe line %q", line)
				}
				seen[strings.TrimPrefix(f[0], "fig-")] = true
				w, _ := strconv.Atoi(f[1])
				h, _ := strconv.Atoi(f[2])
				if f[3] == "shown" && (w < 360 || math.Abs(float64(h)-float64(w)*2/3) > 3) {
					t.Errorf("figure %s drawn %d×%d px, want at least 360 px wide at 3:2", f[0], w, h)
				}
			}
			for _, f := range figs {
				if !seen[f.Name] {
					t.Errorf("figure %s not on the page", f.Name)
				}
			}
			if v := preText(t, dom, "probe-violations"); len(v) > 0 {
				t.Errorf("the page tried to load outside resources: %v", v)
			}

			// Nothing is wider than the window, collapsed sections closed
			// or open (wide tables scroll inside their own box).
			for _, line := range preText(t, dom, "probe-scroll") {
				f := strings.Fields(line)
				sw, _ := strconv.Atoi(f[1])
				iw, _ := strconv.Atoi(f[2])
				if iw != width || sw > iw {
					t.Errorf("%s: page %d px wide in a %d px window (want %d): %s", f[0], sw, iw, width, strings.Join(f[3:], " "))
				}
			}

			// The summary table fits the page at 1280 px: no scrolling box.
			if width == 1280 {
				for _, line := range preText(t, dom, "probe-fit") {
					f := strings.Fields(line)
					tw, _ := strconv.Atoi(f[1])
					cw, _ := strconv.Atoi(f[2])
					if tw > cw {
						t.Errorf("the %s table is %d px wide in a %d px box: it scrolls at 1280 px", f[0], tw, cw)
					}
				}
			}

			// Summary first, then the comparison, then the collapsed details.
			pos := map[string]int{}
			for _, line := range preText(t, dom, "probe-positions") {
				f := strings.Fields(line)
				pos[f[0]], _ = strconv.Atoi(f[1])
			}
			if !(pos["summary"] < pos["compare"] && pos["compare"] < pos["details"] && pos["details"] < pos["manifest"]) {
				t.Errorf("sections at %v: want summary, comparison, details, manifest in that order", pos)
			}
			if width == 1280 && pos["compare"] > 1800 {
				t.Errorf("the comparison starts %d px down, want it within the first screens", pos["compare"])
			}

			// Tables, measured with the collapsed sections open: summary
			// (a row per result and window), differences, per result the
			// users per window, sweeps, thresholds, inputs.
			tables := preText(t, dom, "probe-tables")
			nu := len(reportstest.Users)
			wantRows := []int{5, 3, 1 + nu, 1 + nu, 1 + nu, 1 + nu, 1 + len(run.Sweeps), 1 + len(run.Thresholds), 2}
			if len(tables) != len(wantRows) {
				t.Fatalf("browser sees %d tables, want %d: %v", len(tables), len(wantRows), tables)
			}
			for i, line := range tables {
				f := strings.Fields(line)
				rows, _ := strconv.Atoi(f[0])
				height, _ := strconv.ParseFloat(f[1], 64)
				if rows != wantRows[i] || height < float64(rows)*10 {
					t.Errorf("table %d: %d rows %.0f px high, want %d rows shown", i, rows, height, wantRows[i])
				}
			}
			for _, want := range []string{"user12", estText(run.Results[0].Summary[0].Stats.Pooled.EER)[:5], run.Manifest.Inputs[0].SHA256, "impostor actions to rejection"} {
				if !strings.Contains(dom, want) {
					t.Errorf("DOM lacks %q", want)
				}
			}
		})
	}

	t.Run("screenshot", func(t *testing.T) {
		shot := filepath.Join(t.TempDir(), "report.png")
		headless(t, chromium, report, "--virtual-time-budget=5000", "--window-size=1280,1600", "--screenshot="+shot)
		data, err := os.ReadFile(shot)
		if err != nil {
			t.Fatalf("no screenshot: %v", err)
		}
		if keep := os.Getenv("MOUSEAUTH_SCREENSHOT"); keep != "" {
			if err := os.WriteFile(keep, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		var ink, colour int
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				r, g, bl = r>>8, g>>8, bl>>8
				if r < 230 || g < 230 || bl < 230 {
					ink++
				}
				// Plot curves are saturated colours; text and rules are grey.
				if max(r, g, bl)-min(r, g, bl) > 80 {
					colour++
				}
			}
		}
		total := b.Dx() * b.Dy()
		t.Logf("screenshot %v: %.1f%% non-white, %d coloured pixels", b, 100*float64(ink)/float64(total), colour)
		if ink < total/50 {
			t.Errorf("screenshot is nearly blank: %d of %d pixels non-white", ink, total)
		}
		if colour < 2000 {
			t.Errorf("screenshot shows no plotted curves: %d coloured pixels", colour)
		}
	})
}

// preText returns the non-empty lines of <pre id="id"> in a DOM dump.
func preText(t *testing.T, dom, id string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<pre id="` + id + `">(.*?)</pre>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("DOM has no <pre id=%q>: did the probe script run?\n%.2000s", id, dom)
	}
	var out []string
	for _, l := range strings.Split(m[1], "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestSummaryFitsAt1280 opens, in Chromium at 1280 px, the report of a
// compare of both presets on the published DFL-500 file (long result
// names, the published rows): the summary table is no wider than its box.
func TestSummaryFitsAt1280(t *testing.T) {
	chromium := findChromium(t)
	run := reportstest.Run()
	run.Sweeps, run.Thresholds = nil, nil
	for i, c := range []struct{ classifier, preset string }{{"rf", "published"}, {"gbdt", "improved"}} {
		run.Results[i].Classifier = c.classifier
		run.Results[i].Params["preset"] = c.preset
	}
	dfl := PublishedFigures[0]
	run.Manifest.Inputs = []evaluate.Input{{Path: "../shared/data/features/" + dfl.File, SHA256: dfl.SHA256, Bytes: 1}}
	dir := t.TempDir()
	if _, err := Write(context.Background(), dir, run, Options{Style: svgOnly()}); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, ReportHTML))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), `<tr class="published">`) {
		t.Fatal("no published rows: the test proves nothing")
	}
	s := strings.Replace(string(page), "style-src &#39;unsafe-inline&#39;", "style-src &#39;unsafe-inline&#39;; script-src &#39;unsafe-inline&#39;", 1)
	s = strings.Replace(s, "</body>", probe+"</body>", 1)
	probePage := filepath.Join(dir, "probe.html")
	if err := os.WriteFile(probePage, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := string(headless(t, chromium, probePage, "--virtual-time-budget=5000", "--window-size=1280,900", "--dump-dom"))
	fit := preText(t, dom, "probe-fit")
	if len(fit) != 1 {
		t.Fatalf("probe-fit %v", fit)
	}
	f := strings.Fields(fit[0])
	tw, _ := strconv.Atoi(f[1])
	cw, _ := strconv.Atoi(f[2])
	if tw > cw {
		t.Errorf("the summary table is %d px wide in a %d px box: it scrolls at 1280 px", tw, cw)
	}
	t.Logf("summary table %d px in %d px", tw, cw)
}
