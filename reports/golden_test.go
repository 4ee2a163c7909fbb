package reports

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/reports/reportstest"
)

var update = flag.Bool("update", false, "rewrite testdata/*_golden.* from the current output")

// svgShape summarises an SVG for comparison: how many elements of each kind,
// and every text label in document order. Coordinates are left out on
// purpose: they may move by a rounding step between gonum/plot or font
// versions without the figure changing, while a lost curve, legend entry,
// axis label or title changes the shape.
type svgShape struct {
	Elements map[string]int
	Texts    []string
}

func (s svgShape) String() string {
	keys := make([]string, 0, len(s.Elements))
	for k := range s.Elements {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "<%s> × %d\n", k, s.Elements[k])
	}
	for _, t := range s.Texts {
		fmt.Fprintf(&b, "text %q\n", t)
	}
	return b.String()
}

func parseSVG(t *testing.T, data []byte) svgShape {
	t.Helper()
	s := svgShape{Elements: map[string]int{}}
	dec := xml.NewDecoder(bytes.NewReader(data))
	inText := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("parse svg: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			s.Elements[e.Name.Local]++
			if e.Name.Local == "text" {
				inText++
			}
		case xml.EndElement:
			if e.Name.Local == "text" {
				inText--
			}
		case xml.CharData:
			if txt := strings.TrimSpace(string(e)); inText > 0 && txt != "" {
				s.Texts = append(s.Texts, txt)
			}
		}
	}
	if s.Elements["svg"] != 1 {
		t.Fatalf("svg has %d <svg> elements, want 1", s.Elements["svg"])
	}
	return s
}

func TestFiguresGoldenSVG(t *testing.T) {
	figs, err := Figures(reportstest.Run(), ScreenStyle())
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Figure{}
	for _, f := range figs {
		byName[f.Name] = f
	}
	slug := "centroid_preset-published_protocol-reference"
	for _, name := range []string{"roc_users_" + slug + "_w10", "roc_mean_" + slug, "det_" + slug,
		"roc_compare_w1", "det_compare_w1", "sweep_grid_auc", "sweep_grid_eer",
		"threshold_rates", "threshold_delay"} {
		t.Run(name, func(t *testing.T) {
			f, ok := byName[name]
			if !ok {
				t.Fatalf("no figure %s", name)
			}
			got, err := RenderSVG(f)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+"_golden.svg")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./reports -update to create it)", err)
			}
			if bytes.Equal(got, want) {
				return
			}
			gs, ws := parseSVG(t, got).String(), parseSVG(t, want).String()
			if gs != ws {
				t.Errorf("%s differs from %s in structure:\ngot:\n%s\nwant:\n%s", name, golden, gs, ws)
			}
		})
	}
}
