package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

const judgeHelp = `
Deployments (what a scorer does with a user's vectors):
  old         the live scorer before issue 18: rf (100 trees, 1 negative per
              positive), window of 10 by the mean of the probabilities,
              accepted at 0.5, actions before a full window accepted
              unjudged, no repeat check, each decision carrying the score
  window      the improved preset (gbdt, 8 negatives per positive), the
              published window rule as the engine applies it: 10 actions
              by their mean log-odds at 0.5, unjudged actions not accepted
  sequential  the improved preset deciding by the recommended policy
              (decide.DefaultPolicy): judged from the first action
--policy adds one more, "policy": the improved preset with that policy.

Splits: a published feature file (no sessions) is split chronologically:
each user's first --train-fraction trains, the rest is its genuine
sequence; the impostors are the strict protocol's (half the other users,
never seen in training), each its last actions. A file with sessions (a
mouseauth feature CSV, or --data raw logs) is split by sessions: each
user's last --test-sessions sessions test (one login each), every other
user's test sessions are impostor sequences against its model.

--seeds 0:9 trains and judges once per seed; figures are the mean over
users, its mean ± sd over seeds, and a 95% interval over users and seeds
(a two-level bootstrap). -o csv prints the figures tidy (deployment,
attack, metric, mean, sd, lo, hi, users, max); -o json every section.
--out DIR writes run.json (for 'mouseauth report', which puts the section
beside the ROC figures) and the tidy CSVs <mode>_summary.csv and
<mode>_users.csv.`

func newCmdEvaluateContinuous(f *cli.Factory, runF func(context.Context, *JudgeOptions) error) *cobra.Command {
	return judgeCommand(f, runF, modeContinuous, &cobra.Command{
		Use:   "continuous --features FILE | --data DIR",
		Short: "ANIA and ANGA: sequences judged action by action by each decision rule",
		Long: `Continuous trains one model per user and preset and judges, action by
action, each user's genuine test sequence and the impostor sequences against
its model through each deployment, with a new login after every lockout (as
Mondal and Bours reset trust). It reports, per deployment: ANGA (genuine
actions per false lockout; all of them for a user never locked out, then a
lower bound), the users never falsely locked out, false lockouts per 1,000
genuine actions and per hour of use (with timestamps), the genuine actions
accepted; ANIA (impostor actions per lockout), the impostor actions up to
the first lockout and accepted before a lockout, the impostor sequences
never locked out, the impostor actions accepted, and those accepted without
being judged. An action that is not judged is never accepted, but by the old
deployment. It prints the recommended policy on stderr.
` + judgeHelp,
		Example: `  mouseauth evaluate continuous --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --seeds 0:9 --out runs/continuous-dfl
  mouseauth evaluate continuous --data ../shared/data/balabit/training_files --max-actions 2000 --seeds 0:9 --out runs/continuous-balabit
  mouseauth evaluate continuous --features features.csv --deployments sequential --policy "decide/1 rule=sequential step=2 alert=6"`,
	})
}

func newCmdEvaluateAttack(f *cli.Factory, runF func(context.Context, *JudgeOptions) error) *cobra.Command {
	return judgeCommand(f, runF, modeAttack, &cobra.Command{
		Use:   "attack --features FILE | --data DIR",
		Short: "What an impostor with the password and a client of their own gets, per attack, before and after",
		Long: `Attack trains one model per user and preset and, for every user as the
victim, sends what an impostor with the password and a client of their own
would send, each attack session a new login judged by the deployment from
its first action:

  zero-effort         another user's real actions (unseen in training)
  short-sessions      the same in sessions of 9 actions (under the old window)
  random              vectors uniform in the feature box (each feature's
                      range over every user's training data)
  constant            every value one constant (-1e6, -1, 0, 1, 1e6), repeated
  victim-mean         the victim's training mean, repeated
  victim-mean-jitter  the same, each copy jittered by 1% (past the repeat check)
  other-means         each impostor's mean vector, repeated
  repeat              one of the victim's held-out vectors, repeated
  mimicry             the victim's own held-out actions: the replay attacker,
                      expected to succeed (the documented limit)
  hill-oracle         hill-climbing on the score, --probes probes in one
                      session (the old decisions told the client the score)
  hill-blind          hill-climbing on accept/refuse only, each candidate a
                      fresh login, no feedback after an alert

The hill-climbing attacks then send the crafted vector (jittered) as a fresh
session. A session passes when it ends unalerted with at least half its
actions accepted. Per attack and deployment: the share of actions accepted,
accepted actions per session, the most in one session, the share of
sessions alerted, ANIA (actions up to the alert), the share that pass; and
issue 18's targets, met or not. Without gates in the models (physical
bounds, the user's range, novelty) every vector reaches the model: the
command says so.
` + judgeHelp,
		Example: `  mouseauth evaluate attack --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --seeds 0:9 --out runs/attack-dfl
  mouseauth evaluate attack --features features.csv --attacks random,constant,hill-blind --probes 300
  mouseauth evaluate attack --data ../shared/data/balabit/training_files --max-actions 1000 --deployments sequential`,
	})
}
