package evaluate

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The continuous and attack measurements of issue 18 on the published
// files, run only with MOUSEAUTH_EXPERIMENT=continuous (it trains the
// reference and improved presets for 10 seeds on two files: about an hour
// on 2 shared cores), so CI never pays for it:
//
//	MOUSEAUTH_EXPERIMENT=continuous go test -count=1 -run TestExperimentContinuous -v -timeout 180m ./evaluate/
//
// MOUSEAUTH_EXPERIMENT_SEEDS=n runs seeds 0..n-1 (default 10). It checks
// the claims docs/continuous.md makes on both files (the default policy
// was chosen on DFL-500; Balabit-1000 was not looked at): against the old
// live scorer the sequential rule locks impostors out after fewer actions,
// accepts fewer of their actions before a lockout than the window rule
// and the old scorer, falsely locks genuine users out no more often, and
// accepts nothing unjudged; constant, repeated and mean vectors get no
// session more than 3 accepted actions and every one alerted (the repeat
// check; there are no gates in this measurement). Measured (seeds 0-9,
// mean ± sd over seeds; see docs/continuous.md for the intervals):
//
//	file          deployment   ANIA          accepted before lockout  false lockouts /1000  never locked
//	DFL-500       old          11.2 ± 0.2    10.2 ± 0.2               17.1 ± 2.2            0.015 ± 0.006
//	DFL-500       window       10.4 ± 0.1    0.42 ± 0.08              24.2 ± 2.7            0.009 ± 0.006
//	DFL-500       sequential    7.4 ± 0.1    0.19 ± 0.02              16.9 ± 2.5            0.030 ± 0.013
//	Balabit-1000  old          15.6 ± 2.9    14.6 ± 2.9               12.6 ± 2.5            0.055 ± 0.050
//	Balabit-1000  window       11.9 ± 0.7    1.91 ± 0.69              19.7 ± 3.6            0.035 ± 0.036
//	Balabit-1000  sequential   10.6 ± 2.6    1.28 ± 1.43               3.6 ± 1.8            0.120 ± 0.048
func TestExperimentContinuous(t *testing.T) {
	if os.Getenv("MOUSEAUTH_EXPERIMENT") != "continuous" {
		t.Skip("set MOUSEAUTH_EXPERIMENT=continuous to run (long)")
	}
	seeds := 10
	if s := os.Getenv("MOUSEAUTH_EXPERIMENT_SEEDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("MOUSEAUTH_EXPERIMENT_SEEDS=%q", s)
		}
		seeds = n
	}
	var ss []int64
	for s := range seeds {
		ss = append(ss, int64(s))
	}
	var deps []Deployment
	for _, n := range DeploymentNames {
		d, _ := NamedDeployment(n)
		deps = append(deps, d)
	}
	for _, file := range []string{"dfl_39feat_PC_MM_DD_500.csv", "balabit_39feat_PC_MM_DD_1000.csv"} {
		t.Run(file, func(t *testing.T) {
			d := readFeatureCSV(t, "features/"+file)
			res, err := EvaluateAttacks(context.Background(), d, file, AttackOptions{Continuous: true,
				ContinuousOptions: ContinuousOptions{Deployments: deps, Seeds: ss}})
			if err != nil {
				t.Fatal(err)
			}
			c := res.Continuous
			fig := func(dep, m string) Figure {
				f, ok := c.Find(dep, m)
				if !ok {
					t.Fatalf("no %s %s", dep, m)
				}
				return f
			}
			for _, m := range ContinuousMetrics {
				line := fmt.Sprintf("%-28s", m)
				for _, dep := range DeploymentNames {
					f := fig(dep, m)
					line += fmt.Sprintf("  %s %.3f ± %.3f [%.3f, %.3f]", dep, f.Mean, f.SD, f.Lo, f.Hi)
				}
				t.Log(line)
			}
			for _, tc := range res.Targets {
				t.Logf("target %s, %s: met %v (%s)", tc.Deployment, tc.Target, tc.Met, tc.Measured)
			}
			if seq, old := fig(DeploySequential, MetricANIA).Mean, fig(DeployOld, MetricANIA).Mean; !(seq < old) {
				t.Errorf("ANIA: sequential %.2f, old %.2f", seq, old)
			}
			seq, win, old := fig(DeploySequential, MetricAcceptedBeforeLockout).Mean, fig(DeployWindow, MetricAcceptedBeforeLockout).Mean,
				fig(DeployOld, MetricAcceptedBeforeLockout).Mean
			if !(seq < win && win < old) {
				t.Errorf("impostor actions accepted before a lockout: sequential %.2f, window %.2f, old %.2f", seq, win, old)
			}
			// No more false lockouts than the old scorer, within its seed noise.
			seqFA, oldFA := fig(DeploySequential, MetricFalseAlarms1000), fig(DeployOld, MetricFalseAlarms1000)
			if seqFA.Mean > oldFA.Mean+oldFA.SD {
				t.Errorf("false lockouts per 1,000: sequential %.2f, old %.2f ± %.2f", seqFA.Mean, oldFA.Mean, oldFA.SD)
			}
			if u := fig(DeployOld, MetricAcceptedUnjudged).Mean; u < 0.5 {
				t.Errorf("old: %.3f of impostor actions accepted unjudged, want most", u)
			}
			for _, tc := range res.Targets {
				mustMeet := tc.Deployment != DeployOld && (strings.HasPrefix(tc.Target, "constant") || strings.HasPrefix(tc.Target, "short sessions"))
				if mustMeet && !tc.Met {
					t.Errorf("%s: %s: %s", tc.Deployment, tc.Target, tc.Measured)
				}
			}
		})
	}
}
