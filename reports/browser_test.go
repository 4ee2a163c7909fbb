package reports

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

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
// writes, into the DOM, every image's loaded size and every Content Security
// Policy violation (an attempt to load anything from outside the page).
const probe = `<script>
var violations = [];
document.addEventListener('securitypolicyviolation', function (e) { violations.push(e.violatedDirective + ' ' + e.blockedURI); });
window.addEventListener('load', function () {
  var lines = [];
  for (var i = 0; i < document.images.length; i++) {
    var im = document.images[i];
    lines.push(im.parentNode.id + ' ' + im.complete + ' ' + im.naturalWidth + 'x' + im.naturalHeight);
  }
  var pre = document.createElement('pre'); pre.id = 'probe-images'; pre.textContent = lines.join('\n');
  document.body.appendChild(pre);
  var v = document.createElement('pre'); v.id = 'probe-violations'; v.textContent = violations.join('\n');
  document.body.appendChild(v);
  var tb = document.createElement('pre'); tb.id = 'probe-tables';
  var rows = [];
  document.querySelectorAll('table').forEach(function (t) { rows.push(t.rows.length + ' ' + t.getBoundingClientRect().height); });
  tb.textContent = rows.join('\n');
  document.body.appendChild(tb);
});
</script>
`

func TestReportInBrowser(t *testing.T) {
	chromium := findChromium(t)
	dir := t.TempDir()
	run := reportstest.Run()
	if _, err := Write(context.Background(), dir, run, Options{}); err != nil {
		t.Fatal(err)
	}
	figs, err := Figures(run)
	if err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, ReportHTML)
	page, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("dom", func(t *testing.T) {
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
		dom := string(headless(t, chromium, probePage, "--virtual-time-budget=5000", "--dump-dom"))

		imgs := preText(t, dom, "probe-images")
		if len(imgs) != len(figs) {
			t.Fatalf("browser sees %d images, want %d:\n%s", len(imgs), len(figs), strings.Join(imgs, "\n"))
		}
		wantSize := strconv.Itoa(int(FigureWidth.Points()*PNGDPI/72)) + "x" + strconv.Itoa(int(FigureHeight.Points()*PNGDPI/72))
		for i, line := range imgs {
			f := strings.Fields(line)
			if len(f) != 3 || f[0] != "fig-"+figs[i].Name || f[1] != "true" || f[2] != wantSize {
				t.Errorf("image %d: %q, want \"fig-%s true %s\"", i, line, figs[i].Name, wantSize)
			}
		}
		if v := preText(t, dom, "probe-violations"); len(v) > 0 {
			t.Errorf("the page tried to load outside resources: %v", v)
		}
		tables := preText(t, dom, "probe-tables")
		// inputs, summary, per result: skipped and 2 windows of users; sweeps, thresholds.
		wantRows := []int{2, 5, 2, 4, 4, 2, 4, 4, 9, 23}
		if len(tables) != len(wantRows) {
			t.Fatalf("browser sees %d tables, want %d: %v", len(tables), len(wantRows), tables)
		}
		for i, line := range tables {
			var rows int
			var height float64
			f := strings.Fields(line)
			rows, _ = strconv.Atoi(f[0])
			height, _ = strconv.ParseFloat(f[1], 64)
			if rows != wantRows[i] || height < float64(rows)*10 {
				t.Errorf("table %d: %d rows %.0f px high, want %d rows shown", i, rows, height, wantRows[i])
			}
		}
		for _, want := range []string{"user12", "0.7956 ± 0.0142", run.Manifest.Inputs[0].SHA256, "impostor actions to alarm"} {
			if !strings.Contains(dom, want) {
				t.Errorf("DOM lacks %q", want)
			}
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		shot := filepath.Join(t.TempDir(), "report.png")
		headless(t, chromium, report, "--virtual-time-budget=5000", "--window-size=1280,2000", "--screenshot="+shot)
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
