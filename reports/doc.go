// Package reports consumes an [evaluate.Run] and produces a report of it:
// figures (gonum/plot; PNG, SVG and PDF in a [Style]: screen or paper size,
// font size, formats, linear or log ROC axis), tables (Markdown, CSV, JSON)
// and one self-contained report.html, summary first, that carries the run's
// manifest and settings (command line, seeds, version, input files and
// their SHA-256) so the run can be repeated.
//
// The figures draw what evaluate computed: the mean per-user ROC with its
// 95% interval band over users, the pooled DET with the pooled EER marked,
// per-user ROCs naming the worst users, comparisons, sweep heat maps by
// value with a colour bar (the best cell and those indistinguishable from
// it framed), threshold curves. Axes are fixed (ROC 0 to 1, DET 0.001 to
// 0.9), rates are fractions everywhere, colours are Okabe and Ito's with a
// line style per series, legends sit below the axes, and titles go into the
// page's captions, never into the images.
//
// [Write] does it all; [WriteRun] writes run.json with scores.csv.gz (every
// scored window) and curves.csv.gz (every ROC at full resolution) beside it,
// and [ReadRun] reads a run.json with errors that name the file, line,
// column and JSON field. [Figures], [Tables] and [WriteHTML] are the parts.
// [Table] is the tabular type of every report table and of every table a
// command prints; it writes itself as CSV, JSON, Markdown or aligned text,
// and internal/cli renders it for --output. Tables are tidy: one row per
// result (classifier, preset, protocol columns) and window, an interval as
// three columns (X, X_lo, X_hi), the same columns whatever the number of
// seeds, never a total among the rows. The evaluate commands print
// [Sections] ([CommandOutput]): summaries apart from per-user rows, one JSON
// object of arrays, CSV the summary. Differences carry their interval and
// p-values ([AllDifferences], with the published figures where the input is
// a published file). reports imports evaluate, never the reverse, and no
// command package; I/O (files) happens only in [Write], [WriteFiles],
// [WriteRun] and [ReadRun].
package reports
