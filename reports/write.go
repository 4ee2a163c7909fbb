package reports

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mouseauth/mouseauth/evaluate"
)

// Sub-directories of a report and the name of its HTML page.
const (
	PlotsDir   = "plots"
	TablesDir  = "tables"
	ReportHTML = "report.html"
)

// Options tunes [Write]. The zero value is ready to use.
type Options struct {
	// Style is how figures are drawn and which files are written; the zero
	// value is [ScreenStyle].
	Style Style
	// Progress, if set, is called after each file is written with the
	// number of steps done and the total (figures + tables + the page).
	Progress func(done, total int)
}

// Write writes the report of run into dir (created if missing):
//
//	dir/plots/<figure>.png, .svg, .pdf  for each of [Figures], in the style's formats
//	dir/tables/<table>.md, .csv, .json  for each of [Tables] (.md uses [Display])
//	dir/report.html                     see [WriteHTML]
//
// and returns the paths written, report.html last. It stops between files
// when ctx is cancelled. Output is deterministic: the same run gives the same
// files.
func Write(ctx context.Context, dir string, run *evaluate.Run, opts Options) ([]string, error) {
	if err := Check(run); err != nil {
		return nil, err
	}
	st := opts.Style
	if st.Width == 0 {
		st = ScreenStyle()
	}
	if err := st.Check(); err != nil {
		return nil, err
	}
	figs, err := Figures(run, st)
	if err != nil {
		return nil, err
	}
	tables := Tables(run)
	total, done := len(figs)+len(tables)+1, 0
	step := func() {
		done++
		if opts.Progress != nil {
			opts.Progress(done, total)
		}
	}
	out, err := newOutput(dir)
	if err != nil {
		return nil, err
	}
	rendered, err := writeFigures(ctx, dir, figs, out.write, step)
	if err != nil {
		return out.written, err
	}
	if err := writeTables(ctx, dir, tables, out.write, step); err != nil {
		return out.written, err
	}

	var page bytes.Buffer
	if err := WriteHTML(&page, run, rendered); err != nil {
		return out.written, fmt.Errorf("render %s: %w", ReportHTML, err)
	}
	if err := out.write(filepath.Join(dir, ReportHTML), page.Bytes()); err != nil {
		return out.written, err
	}
	step()
	return out.written, nil
}

// WriteFiles writes tables (dir/tables/NAME.md, .csv, .json) and figures
// (dir/plots/NAME.png, .svg, in each figure's style's formats) without a
// page, for bench results, and returns the paths written.
func WriteFiles(ctx context.Context, dir string, tables []NamedTable, figs []Figure) ([]string, error) {
	out, err := newOutput(dir)
	if err != nil {
		return nil, err
	}
	if _, err := writeFigures(ctx, dir, figs, out.write, func() {}); err != nil {
		return out.written, err
	}
	return out.written, writeTables(ctx, dir, tables, out.write, func() {})
}

// output writes a report's files and remembers their paths.
type output struct{ written []string }

// newOutput creates dir with its plots and tables folders.
func newOutput(dir string) (*output, error) {
	for _, d := range []string{dir, filepath.Join(dir, PlotsDir), filepath.Join(dir, TablesDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("create report directory: %w", err)
		}
	}
	return &output{}, nil
}

func (o *output) write(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	o.written = append(o.written, path)
	return nil
}

func writeFigures(ctx context.Context, dir string, figs []Figure, write func(string, []byte) error, step func()) ([]Rendered, error) {
	rendered := make([]Rendered, 0, len(figs))
	for _, f := range figs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// SVG always: the page inlines it.
		svg, err := RenderSVG(f)
		if err != nil {
			return nil, fmt.Errorf("figure %s: %w", f.Name, err)
		}
		base := filepath.Join(dir, PlotsDir, f.Name)
		for _, format := range f.figureStyle().Formats {
			var data []byte
			switch format {
			case "svg":
				data = svg
			case "png":
				data, err = RenderPNG(f)
			case "pdf":
				data, err = RenderPDF(f)
			default:
				err = fmt.Errorf("unknown format %q", format)
			}
			if err != nil {
				return nil, fmt.Errorf("figure %s: %w", f.Name, err)
			}
			if err := write(base+"."+format, data); err != nil {
				return nil, err
			}
		}
		rendered = append(rendered, Rendered{Figure: f, SVG: svg})
		step()
	}
	return rendered, nil
}

func writeTables(ctx context.Context, dir string, tables []NamedTable, write func(string, []byte) error, step func()) error {
	for _, t := range tables {
		if err := ctx.Err(); err != nil {
			return err
		}
		base := filepath.Join(dir, TablesDir, t.Name)
		var md bytes.Buffer
		fmt.Fprintf(&md, "# %s\n\n", t.Title)
		if err := Display(t.Table).WriteMarkdown(&md); err != nil {
			return err
		}
		if err := write(base+".md", md.Bytes()); err != nil {
			return err
		}
		for _, f := range []struct {
			ext   string
			write func(*Table, io.Writer) error
		}{{"csv", (*Table).WriteCSV}, {"json", (*Table).WriteJSON}} {
			var b bytes.Buffer
			if err := f.write(t.Table, &b); err != nil {
				return fmt.Errorf("table %s as %s: %w", t.Name, f.ext, err)
			}
			if err := write(base+"."+f.ext, b.Bytes()); err != nil {
				return err
			}
		}
		step()
	}
	return nil
}
