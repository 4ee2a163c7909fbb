package reports

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/mouseauth/mouseauth/evaluate"
)

// Rendered is a [Figure] drawn as PNG and SVG.
type Rendered struct {
	Figure
	PNG, SVG []byte
}

// ContentSecurityPolicy is the policy report.html declares: nothing may load
// from outside the file; images come only from data: URIs and styles only
// from the inline <style>. A browser thus enforces that the report is
// self-contained.
const ContentSecurityPolicy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

type htmlTable struct {
	Columns []string
	Rows    [][]string
	Numeric []bool
}

type htmlFigure struct {
	Name, Caption string
	Src           template.URL
	Width, Height int
}

type htmlWindow struct {
	Window int
	Figure *htmlFigure
	Table  *htmlTable
}

type htmlResult struct {
	ID, Label, Params string
	Aggregate         string
	Seed              int64
	Skipped           *htmlTable
	Seconds           float64
	MeanROC           *htmlFigure
	Windows           []htmlWindow
}

type htmlPage struct {
	Title       string
	CSP         string
	CommandLine string
	Version     string
	GoVersion   string
	Seed        int64
	Started     string
	Inputs      *htmlTable
	Summary     *htmlTable
	Results     []htmlResult
	Compare     []*htmlFigure
	Sweeps      *htmlTable
	SweepFigs   []*htmlFigure
	Thresholds  *htmlTable
	ThreshFigs  []*htmlFigure
	Empty       bool
}

// WriteHTML writes a self-contained HTML report of run to w: the manifest,
// the summary, per-result mean ROC, per-window ROC figures and per-user
// tables, comparisons, sweeps and thresholds. figs are the run's rendered
// [Figures]; each is inlined as a base64 PNG data: URI, so the file needs
// nothing else. All text from the run is HTML-escaped.
func WriteHTML(w io.Writer, run *evaluate.Run, figs []Rendered) error {
	byName := make(map[string]*htmlFigure, len(figs))
	var order []string
	for _, f := range figs {
		byName[f.Name] = &htmlFigure{
			Name: f.Name, Caption: f.Caption,
			Src:   template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(f.PNG)),
			Width: int(FigureWidth.Points() * 96 / 72), Height: int(FigureHeight.Points() * 96 / 72),
		}
		order = append(order, f.Name)
	}
	m := run.Manifest
	page := htmlPage{
		Title:       "mouseauth report",
		CSP:         ContentSecurityPolicy,
		CommandLine: shellJoin(m.Command),
		Version:     m.Version,
		GoVersion:   m.GoVersion,
		Seed:        m.Seed,
		Started:     "unknown",
		Inputs:      toHTML(InputTable(m.Inputs)),
		Empty:       IsEmpty(run),
	}
	if !m.Started.IsZero() {
		page.Started = m.Started.UTC().Format(time.RFC3339)
	}
	if len(run.Results) > 0 {
		page.Summary = toHTML(Display(SummaryTable(run.Results)))
		var labels []string
		for _, r := range run.Results {
			labels = append(labels, resultLabel(r))
		}
		page.Title += ": " + strings.Join(labels, "; ")
	}
	slugs := resultSlugs(run.Results)
	for i, r := range run.Results {
		hr := htmlResult{ID: "result-" + slugs[i], Label: resultLabel(r), Params: paramsString(r.Params),
			Aggregate: r.Aggregate, Seed: r.Seed, Seconds: r.Seconds, MeanROC: byName["roc_mean_"+slugs[i]]}
		if len(r.Skipped) > 0 {
			hr.Skipped = toHTML(SkippedTable(r))
		}
		for _, win := range resultWindows(r) {
			ut := UserTable(evaluate.Result{Users: usersAt(r, win)})
			hr.Windows = append(hr.Windows, htmlWindow{
				Window: win,
				Figure: byName[fmt.Sprintf("roc_users_%s_w%d", slugs[i], win)],
				Table:  toHTML(dropColumn(ut, "window")),
			})
		}
		page.Results = append(page.Results, hr)
	}
	for _, n := range order {
		switch {
		case strings.HasPrefix(n, "roc_compare_"):
			page.Compare = append(page.Compare, byName[n])
		case strings.HasPrefix(n, "sweep_"):
			page.SweepFigs = append(page.SweepFigs, byName[n])
		case strings.HasPrefix(n, "threshold_"):
			page.ThreshFigs = append(page.ThreshFigs, byName[n])
		}
	}
	if len(run.Sweeps) > 0 {
		page.Sweeps = toHTML(Display(SweepTable(run.Sweeps)))
	}
	if len(run.Thresholds) > 0 {
		page.Thresholds = toHTML(Display(ThresholdTable(run.Thresholds)))
	}
	return pageTemplate.Execute(w, page)
}

// toHTML formats t's cells; column names get spaces for underscores so long
// headers can wrap.
func toHTML(t *Table) *htmlTable {
	h := &htmlTable{Numeric: make([]bool, len(t.Columns))}
	for _, c := range t.Columns {
		h.Columns = append(h.Columns, strings.ReplaceAll(c, "_", " "))
	}
	for i := range t.Columns {
		num, seen := true, false
		for _, r := range t.Rows {
			switch r[i].(type) {
			case int, int64, float64:
				seen = true
			case nil:
			default:
				num = false
			}
		}
		h.Numeric[i] = num && seen
	}
	for _, r := range t.Rows {
		row := make([]string, len(r))
		for i, c := range r {
			row[i] = formatCell(c)
		}
		h.Rows = append(h.Rows, row)
	}
	return h
}

func dropColumn(t *Table, name string) *Table {
	out := &Table{}
	keep := []int{}
	for i, c := range t.Columns {
		if c != name {
			keep = append(keep, i)
			out.Columns = append(out.Columns, c)
		}
	}
	for _, r := range t.Rows {
		row := make([]any, len(keep))
		for j, i := range keep {
			row[j] = r[i]
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

// shellJoin quotes args the way a POSIX shell reads them back, so the
// command line in the report can be pasted to repeat the run.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:,+@%") == "" {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

var pageTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.7em; margin-bottom: .2em; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
h3 { margin-top: 1.5em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f0f3f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fafafa; }
dl.manifest { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }
dl.manifest dt { font-weight: bold; }
dl.manifest dd { margin: 0; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .9em; word-break: break-all; }
figure { margin: 1em 1em 1em 0; display: inline-block; vertical-align: top; width: calc(50% - 1em); min-width: 360px; }
figure img { width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: .85em; color: #555; }
.note { color: #777; font-style: italic; }
nav ul { columns: 2; }
.scroll { overflow-x: auto; max-width: 100%; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<nav><ul>
<li><a href="#manifest">How this run was made</a></li>
{{- if .Summary}}<li><a href="#summary">Summary</a></li>{{end}}
{{- range .Results}}<li><a href="#{{.ID}}">{{.Label}}</a></li>{{end}}
{{- if .Compare}}<li><a href="#compare">Comparison</a></li>{{end}}
{{- if .Sweeps}}<li><a href="#sweeps">Parameter sweeps</a></li>{{end}}
{{- if .Thresholds}}<li><a href="#thresholds">Alarm thresholds</a></li>{{end}}
</ul></nav>

<section id="manifest">
<h2>How this run was made</h2>
<dl class="manifest">
<dt>Command</dt><dd><code>{{if .CommandLine}}{{.CommandLine}}{{else}}(not recorded){{end}}</code></dd>
<dt>Seed</dt><dd>{{.Seed}}</dd>
<dt>Version</dt><dd>{{if .Version}}{{.Version}}{{else}}(not recorded){{end}}</dd>
<dt>Go version</dt><dd>{{if .GoVersion}}{{.GoVersion}}{{else}}(not recorded){{end}}</dd>
<dt>Started</dt><dd>{{.Started}}</dd>
</dl>
<h3>Input files</h3>
{{if .Inputs.Rows}}{{template "table" .Inputs}}{{else}}<p class="note">No input files recorded.</p>{{end}}
</section>
{{if .Empty}}<p class="note" id="empty">This run has no results, sweeps or thresholds.</p>{{end}}
{{- if .Summary}}
<section id="summary">
<h2>Summary</h2>
<p>Mean and standard deviation over users, per classifier, protocol and window of consecutive actions.</p>
{{template "table" .Summary}}
</section>
{{- end}}
{{- range .Results}}
<section id="{{.ID}}">
<h2>{{.Label}}</h2>
<p>Seed {{.Seed}}{{if .Aggregate}}; window score: {{.Aggregate}}{{end}}{{if .Params}}; parameters <code>{{.Params}}</code>{{end}}; {{printf "%.1f" .Seconds}} s.</p>
{{- with .Skipped}}
<h3>Users left out</h3>
{{template "table" .}}
{{- end}}
{{- with .MeanROC}}{{template "figure" .}}{{end}}
{{- range .Windows}}
<h3>Window of {{.Window}} action{{if ne .Window 1}}s{{end}}</h3>
{{with .Figure}}{{template "figure" .}}{{end}}
{{template "table" .Table}}
{{- end}}
</section>
{{- end}}
{{- if .Compare}}
<section id="compare">
<h2>Comparison</h2>
{{range .Compare}}{{template "figure" .}}{{end}}
</section>
{{- end}}
{{- if .Sweeps}}
<section id="sweeps">
<h2>Parameter sweeps</h2>
{{template "table" .Sweeps}}
{{range .SweepFigs}}{{template "figure" .}}{{end}}
</section>
{{- end}}
{{- if .Thresholds}}
<section id="thresholds">
<h2>Alarm thresholds</h2>
<p>An alarm is raised when the score of a window of consecutive actions falls below the threshold p.</p>
{{template "table" .Thresholds}}
{{range .ThreshFigs}}{{template "figure" .}}{{end}}
</section>
{{- end}}
<footer><p class="note">Generated by <code>mouseauth report</code> from run.json.</p></footer>
</body>
</html>
{{define "table"}}<div class="scroll"><table>
<thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{- $num := .Numeric}}
{{- range .Rows}}
<tr>{{range $i, $c := .}}<td{{if index $num $i}} class="num"{{end}}>{{$c}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table></div>{{end}}
{{define "figure"}}<figure id="fig-{{.Name}}">
<img src="{{.Src}}" alt="{{.Caption}}" width="{{.Width}}" height="{{.Height}}">
<figcaption>{{.Caption}}</figcaption>
</figure>
{{end}}`))
