package reports

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/mouseauth/mouseauth/evaluate"
)

// RunFile is the file name of a run inside its directory.
const RunFile = "run.json"

// ErrEmptyRun is returned by [ReadRun] (wrapped) for a run.json that is
// empty or holds only whitespace.
var ErrEmptyRun = errors.New("empty run file")

// ReadRun reads and checks an [evaluate.Run] from path (usually DIR/run.json).
// Errors name the file and, for bad JSON, the line, column, byte offset and
// the JSON field; for a run that parses but cannot be reported (an ROC with
// more FPR than TPR values, say) they name the field, e.g.
// "results[0].users[2].roc". Unknown fields are ignored, so a run written by a
// newer evaluate still reads.
func ReadRun(path string) (*evaluate.Run, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read run: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("read %s: %w", path, ErrEmptyRun)
	}
	var run evaluate.Run
	if err := json.Unmarshal(data, &run); err != nil {
		return nil, fmt.Errorf("read %s: %s", path, describeJSONError(data, err))
	}
	if err := Check(&run); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return &run, nil
}

// describeJSONError turns a decoding error into "line L, column C (byte N): ...",
// naming the field for type errors.
func describeJSONError(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("%s: invalid JSON: %v", position(data, se.Offset), se)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Sprintf("%s: field %q: JSON %s cannot be a Go %s", position(data, te.Offset), field, te.Value, te.Type)
	default:
		return "invalid JSON: " + err.Error()
	}
}

// position gives the 1-based line and column of the byte that stopped the
// decoder: encoding/json offsets count the bytes read, so that byte is the
// one before the offset.
func position(data []byte, off int64) string {
	at := min(max(off-1, 0), int64(len(data)))
	before := data[:at]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(at) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return fmt.Sprintf("line %d, column %d (offset %d)", line, col, off)
}

// Check reports the first part of run that cannot be drawn or tabulated,
// naming its field: ROC curves whose FPR and TPR lengths differ.
func Check(run *evaluate.Run) error {
	check := func(field string, c evaluate.ROCCurve) error {
		if len(c.FPR) != len(c.TPR) {
			return fmt.Errorf("%s: %d fpr values but %d tpr values", field, len(c.FPR), len(c.TPR))
		}
		if (len(c.Lo) > 0 || len(c.Hi) > 0) && (len(c.Lo) != len(c.FPR) || len(c.Hi) != len(c.FPR)) {
			return fmt.Errorf("%s: %d tpr_lo and %d tpr_hi values for %d points", field, len(c.Lo), len(c.Hi), len(c.FPR))
		}
		if len(c.Thresholds) > 0 && len(c.Thresholds) != len(c.FPR) {
			return fmt.Errorf("%s: %d thresholds for %d points", field, len(c.Thresholds), len(c.FPR))
		}
		return nil
	}
	for i, h := range run.Holdouts {
		if err := check(fmt.Sprintf("holdouts[%d].sessions.roc", i), h.Sessions.ROC); err != nil {
			return err
		}
		if err := check(fmt.Sprintf("holdouts[%d].actions.roc", i), h.Actions.ROC); err != nil {
			return err
		}
	}
	for i, r := range run.Results {
		for j, u := range r.Users {
			if err := check(fmt.Sprintf("results[%d].users[%d].roc (user %q, window %d)", i, j, u.User, u.Window), u.ROC); err != nil {
				return err
			}
		}
		for j, s := range r.Summary {
			if err := check(fmt.Sprintf("results[%d].summary[%d].mean_roc (window %d)", i, j, s.Window), s.MeanROC); err != nil {
				return err
			}
		}
	}
	return nil
}

// IsEmpty reports whether run has nothing to plot or tabulate.
func IsEmpty(run *evaluate.Run) bool {
	return len(run.Results) == 0 && len(run.Sweeps) == 0 && len(run.Thresholds) == 0 && len(run.Holdouts) == 0 &&
		len(run.Continuous) == 0 && len(run.Attacks) == 0
}

// holdoutLabel names a held-out result: "rf, mean of action scores, train
// A, test B".
func holdoutLabel(h evaluate.HoldoutResult) string {
	parts := []string{h.Classifier}
	if h.Aggregate != "" {
		parts = append(parts, h.Aggregate+" of action scores")
	}
	if h.Train != "" && h.Test != "" {
		parts = append(parts, "train "+filepath.Base(h.Train)+", test "+filepath.Base(h.Test))
	}
	return strings.Join(parts, ", ")
}

// fileSlug keeps [a-z0-9] and turns runs of anything else into one '-'.
func fileSlug(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// resultSlugs names each result for file names, with its preset and
// protocol spelled out: "rf_preset-published_protocol-reference"; results
// that share it add what tells them apart, and "-2", "-3", ... what nothing
// tells apart.
func resultSlugs(results []evaluate.Result) []string {
	out := make([]string, len(results))
	count := map[string]int{}
	for i, r := range results {
		c := fileSlug(r.Classifier)
		if c == "" {
			c = "result"
		}
		s := c
		if p := fileSlug(presetOf(r)); p != "" {
			s += "_preset-" + p
		}
		if p := fileSlug(r.Protocol); p != "" {
			s += "_protocol-" + p
		}
		out[i] = s
		count[s]++
	}
	// Within each group that shares a name, what tells its results apart.
	differ := make([]string, len(results))
	groups := map[string][]int{}
	for i, s := range out {
		if count[s] > 1 {
			groups[s] = append(groups[s], i)
		}
	}
	for _, idx := range groups {
		group := make([]evaluate.Result, len(idx))
		for j, i := range idx {
			group[j] = results[i]
		}
		names := nameResults(group)
		for j, i := range idx {
			if !strings.HasPrefix(names.Short[j], "#") {
				differ[i] = fileSlug(names.Short[j])
			}
		}
	}
	seen := map[string]int{}
	for i, s := range out {
		if differ[i] != "" {
			s += "_" + differ[i]
		}
		seen[s]++
		if n := seen[s]; n > 1 {
			s = fmt.Sprintf("%s-%d", s, n)
		}
		out[i] = s
	}
	return out
}

// resultWindows returns the window sizes with per-user results, ascending:
// r.Windows if set, otherwise those found in r.Users.
func resultWindows(r evaluate.Result) []int {
	set := map[int]bool{}
	for _, w := range r.Windows {
		set[w] = true
	}
	if len(set) == 0 {
		for _, u := range r.Users {
			set[u.Window] = true
		}
	}
	var ws []int
	for w := range set {
		if len(usersAt(r, w)) > 0 {
			ws = append(ws, w)
		}
	}
	sort.Ints(ws)
	return ws
}

// usersAt returns r's user results at window w, in their order in the run.
func usersAt(r evaluate.Result, w int) []evaluate.UserResult {
	var us []evaluate.UserResult
	for _, u := range r.Users {
		if u.Window == w {
			us = append(us, u)
		}
	}
	return us
}

// allSummaryWindows returns every window with a summary in any result, ascending.
func allSummaryWindows(results []evaluate.Result) []int {
	set := map[int]bool{}
	for _, r := range results {
		for _, s := range r.Summary {
			set[s.Window] = true
		}
	}
	ws := make([]int, 0, len(set))
	for w := range set {
		ws = append(ws, w)
	}
	sort.Ints(ws)
	return ws
}

// sweepParams returns the swept parameters in order of first appearance.
func sweepParams(sw []evaluate.SweepPoint) []string {
	var ps []string
	seen := map[string]bool{}
	for _, s := range sw {
		if !seen[s.Param] {
			seen[s.Param] = true
			ps = append(ps, s.Param)
		}
	}
	return ps
}

// Files written beside run.json by [WriteRun].
const (
	ScoresFile = "scores.csv.gz"
	CurvesFile = "curves.csv.gz"
)

// WriteRun writes run as indented JSON to dir/run.json (dir is created if
// missing) and, when the run holds its scores (evaluate.Run.ScoreSets),
// every scored window to dir/scores.csv.gz and every ROC at full
// resolution to dir/curves.csv.gz (tidy, gzip-compressed CSV: see
// [WriteScores] and [WriteCurves]). It returns the paths written, run.json
// first.
func WriteRun(dir string, run *evaluate.Run) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode run: %w", err)
	}
	path := filepath.Join(dir, RunFile)
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	paths := []string{path}
	if len(run.ScoreSets) == 0 {
		return paths, nil
	}
	for _, f := range []struct {
		name  string
		write func(io.Writer, []evaluate.ScoreSet) error
	}{{ScoresFile, WriteScores}, {CurvesFile, WriteCurves}} {
		p := filepath.Join(dir, f.name)
		if err := writeGzip(p, func(w io.Writer) error { return f.write(w, run.ScoreSets) }); err != nil {
			return paths, fmt.Errorf("write %s: %w", p, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// writeGzip writes path through gzip, atomically enough: a file that failed
// halfway is removed.
func writeGzip(path string, write func(io.Writer) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	zw := gzip.NewWriter(f)
	bw := bufio.NewWriterSize(zw, 1<<16)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// ScoreColumns are the columns of scores.csv.gz.
var ScoreColumns = []string{"result", "classifier", "preset", "protocol", "trees", "seed", "window", "claimed_user", "user", "session", "stream", "start", "label", "genuine", "score"}

// WriteScores writes every scored window of sets as CSV with
// [ScoreColumns], one row per window: the configuration (result: its name,
// classifier, preset, protocol; trees for a sweep's tree count), seed,
// window (1: one action), claimed_user (whose model scored it), user and
// session (the source of its actions when one user and session, else
// empty: a window of the reference protocol's impostor stream spans users
// drawn at random), stream (0: the claimed user's genuine test stream; k:
// its k-th impostor stream), start (the window's first action in the
// stream), label (genuine or impostor), genuine (1 or 0) and score. Scores
// keep full precision.
func WriteScores(w io.Writer, sets []evaluate.ScoreSet) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ScoreColumns); err != nil {
		return err
	}
	rec := make([]string, len(ScoreColumns))
	var werr error
	for i := range sets {
		s := &sets[i]
		trees := ""
		if s.Trees > 0 {
			trees = strconv.Itoa(s.Trees)
		}
		s.EachWindow(func(ws evaluate.WindowScore) bool {
			label, g := "impostor", "0"
			if ws.Genuine {
				label, g = "genuine", "1"
			}
			rec = append(rec[:0], s.Name, s.Classifier, s.Preset, s.Protocol, trees, strconv.FormatInt(ws.Seed, 10),
				strconv.Itoa(ws.Window), ws.Claimed, ws.User, ws.Session, strconv.Itoa(ws.Stream), strconv.Itoa(ws.Start),
				label, g, strconv.FormatFloat(ws.Score, 'g', -1, 64))
			werr = cw.Write(rec)
			return werr == nil
		})
		if werr != nil {
			return werr
		}
	}
	cw.Flush()
	return cw.Error()
}

// CurveColumns are the columns of curves.csv.gz.
var CurveColumns = []string{"result", "classifier", "preset", "protocol", "trees", "window", "curve", "seed", "threshold", "fmr", "fnmr"}

// WriteCurves writes every ROC of sets at full resolution as CSV with
// [CurveColumns], one row per point: the configuration, window, curve
// ("pooled": every user's windows of every seed against one threshold, its
// seed empty; or a user's own curve at a seed), threshold (windows scoring
// at or above it are accepted; the first lies just above the highest
// score), fmr and fnmr.
func WriteCurves(w io.Writer, sets []evaluate.ScoreSet) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CurveColumns); err != nil {
		return err
	}
	rec := make([]string, len(CurveColumns))
	var werr error
	for i := range sets {
		s := &sets[i]
		trees := ""
		if s.Trees > 0 {
			trees = strconv.Itoa(s.Trees)
		}
		s.EachCurve(func(p evaluate.CurvePoint) bool {
			seed := ""
			if p.Seed != nil {
				seed = strconv.FormatInt(*p.Seed, 10)
			}
			rec = append(rec[:0], s.Name, s.Classifier, s.Preset, s.Protocol, trees, strconv.Itoa(p.Window), p.Curve, seed,
				strconv.FormatFloat(p.Threshold, 'g', -1, 64), strconv.FormatFloat(p.FMR, 'g', -1, 64), strconv.FormatFloat(p.FNMR, 'g', -1, 64))
			werr = cw.Write(rec)
			return werr == nil
		})
		if werr != nil {
			return werr
		}
	}
	cw.Flush()
	return cw.Error()
}
