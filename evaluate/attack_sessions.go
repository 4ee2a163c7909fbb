package evaluate

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/decide"
)

// The attack sessions of [EvaluateAttacks]: what the attacker knows of
// the feature space, the vectors of each attack, the hill-climbers.

// featureSpace is what an attacker knows of the feature space from public
// data: each feature's range and spread over every user's training
// vectors, and which features hold whole numbers only.
type featureSpace struct {
	lo, hi, sd []float64
	integral   []bool
	continuous []int // indices of the features that are not integral
}

func newFeatureSpace(pf *presetFit) *featureSpace {
	var all [][]float64
	for _, u := range pf.users {
		all = append(all, u.train...)
	}
	dim := len(all[0])
	fs := &featureSpace{lo: make([]float64, dim), hi: make([]float64, dim), sd: make([]float64, dim), integral: make([]bool, dim)}
	for j := range dim {
		lo, hi := math.Inf(1), math.Inf(-1)
		var sum, sq float64
		integral := true
		for _, x := range all {
			v := x[j]
			lo, hi = min(lo, v), max(hi, v)
			sum += v
			sq += v * v
			integral = integral && v == math.Trunc(v)
		}
		n := float64(len(all))
		m := sum / n
		fs.lo[j], fs.hi[j], fs.integral[j] = lo, hi, integral
		fs.sd[j] = math.Sqrt(max(0, sq/n-m*m))
		if !integral {
			fs.continuous = append(fs.continuous, j)
		}
	}
	return fs
}

// uniform returns a vector drawn uniformly in the box.
func (fs *featureSpace) uniform(rng *rand.Rand) []float64 {
	x := make([]float64, len(fs.lo))
	for j := range x {
		x[j] = fs.lo[j] + rng.Float64()*(fs.hi[j]-fs.lo[j])
		if fs.integral[j] {
			x[j] = math.Round(x[j])
		}
	}
	return x
}

// jitter returns a copy of x with each continuous feature times 1+u, u
// uniform in ±AttackJitter.
func (fs *featureSpace) jitter(x []float64, rng *rand.Rand) []float64 {
	y := slices.Clone(x)
	for _, j := range fs.continuous {
		y[j] *= 1 + AttackJitter*(2*rng.Float64()-1)
	}
	return y
}

// perturb returns a copy of x with 3 continuous features moved by a normal
// step of a quarter of their spread, kept in the box.
func (fs *featureSpace) perturb(x []float64, rng *rand.Rand) []float64 {
	y := slices.Clone(x)
	if len(fs.continuous) == 0 {
		return y
	}
	for range 3 {
		j := fs.continuous[rng.IntN(len(fs.continuous))]
		y[j] = min(max(y[j]+0.25*fs.sd[j]*rng.NormFloat64(), fs.lo[j]), fs.hi[j])
	}
	return y
}

func meanOf(xs [][]float64) []float64 {
	m := make([]float64, len(xs[0]))
	for _, x := range xs {
		for j, v := range x {
			m[j] += v
		}
	}
	for j := range m {
		m[j] /= float64(len(xs))
	}
	return m
}

// consecutive returns n consecutive vectors of xs from a random offset (all
// of xs when it is shorter).
func consecutive(xs [][]float64, n int, rng *rand.Rand) [][]float64 {
	if len(xs) <= n {
		return xs
	}
	at := rng.IntN(len(xs) - n + 1)
	return xs[at : at+n]
}

func repeated(x []float64, n int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = x
	}
	return out
}

// attacker judges vectors against one victim under one deployment.
type attacker struct {
	dep   Deployment
	model classify.Model
	gate  Gate
}

// outcome is what one attack session got.
type outcome struct {
	accepted, unjudged, alertAt int // alertAt: actions up to the alert, 0 none
}

// send judges one vector in session j.
func (a *attacker) send(j *judge, x []float64) (v decide.Verdict, accepted, unjudged bool, score float64) {
	in := decide.Input{Values: x}
	if a.dep.Gates && a.gate != nil {
		in.Flags = a.gate.Check(x)
	}
	score = a.model.Score(x)
	in.Score = score
	v, accepted, unjudged = j.step(in)
	return v, accepted, unjudged, score
}

// session judges xs as one fresh login.
func (a *attacker) session(xs [][]float64) (outcome, error) {
	j, err := a.dep.newJudge()
	if err != nil {
		return outcome{}, err
	}
	var o outcome
	for i, x := range xs {
		v, acc, unj, _ := a.send(j, x)
		if acc {
			o.accepted++
		}
		if unj {
			o.unjudged++
		}
		if v.Alert {
			o.alertAt = i + 1
		}
	}
	return o, nil
}

func (u *AttackUser) add(xs [][]float64, o outcome) {
	u.Sessions++
	u.Actions += len(xs)
	u.Accepted += o.accepted
	u.AcceptedUnjudged += o.unjudged
	u.MaxAccepted = max(u.MaxAccepted, o.accepted)
	if o.alertAt > 0 {
		u.Alerted++
		u.AlertActions += o.alertAt
	} else if 2*o.accepted >= len(xs) {
		u.Passed++
	}
}

// attackVictim runs every attack of o on victim vi under each deployment.
// Each attack draws from its own random stream, derived from the seed, the
// victim and the attack, the same for every deployment: before and after
// face the same sessions (but for the hill-climbing, which follows the
// feedback it gets).
func attackVictim(ctx context.Context, o *AttackOptions, seed int64, vi int, pf *presetFit, fs *featureSpace, gate Gate, deps []Deployment) ([]AttackUser, error) {
	victim := pf.users[vi]
	var victimTest [][]float64
	for _, s := range victim.genuine {
		victimTest = append(victimTest, s.x...)
	}
	var impostors [][][]float64
	for _, s := range victim.impostor {
		if len(s.x) > 0 {
			impostors = append(impostors, s.x)
		}
	}
	if len(victimTest) == 0 || len(impostors) == 0 || len(victim.train) == 0 {
		return nil, nil
	}
	var out []AttackUser
	for _, dep := range deps {
		a := &attacker{dep: dep, model: victim.model, gate: gate}
		for ai, name := range o.Attacks {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			rng := rand.New(rand.NewPCG(uint64(seed)*0x9e3779b97f4a7c15^uint64(vi), uint64(ai)+0x61747461636b))
			u := AttackUser{Seed: seed, Deployment: dep.Name, Attack: name, User: victim.user}
			run := func(xs [][]float64) error {
				oc, err := a.session(xs)
				if err != nil {
					return err
				}
				u.add(xs, oc)
				return nil
			}
			var err error
			switch name {
			case AttackZeroEffort, AttackShort:
				n := o.Length
				if name == AttackShort {
					n = o.ShortLength
				}
				for s := range o.Sessions {
					if err = run(consecutive(impostors[s%len(impostors)], n, rng)); err != nil {
						break
					}
				}
			case AttackRandom:
				for range o.Sessions {
					xs := make([][]float64, o.Length)
					for i := range xs {
						xs[i] = fs.uniform(rng)
					}
					if err = run(xs); err != nil {
						break
					}
				}
			case AttackConstant:
				for _, c := range AttackConstants {
					x := make([]float64, len(fs.lo))
					for j := range x {
						x[j] = c
					}
					if err = run(repeated(x, o.Length)); err != nil {
						break
					}
				}
			case AttackVictimMean:
				err = run(repeated(meanOf(victim.train), o.Length))
			case AttackMeanJitter:
				m := meanOf(victim.train)
				for range o.Sessions {
					xs := make([][]float64, o.Length)
					for i := range xs {
						xs[i] = fs.jitter(m, rng)
					}
					if err = run(xs); err != nil {
						break
					}
				}
			case AttackOtherMeans:
				for _, imp := range impostors {
					if err = run(repeated(meanOf(imp), o.Length)); err != nil {
						break
					}
				}
			case AttackRepeat:
				for range o.Sessions {
					if err = run(repeated(victimTest[rng.IntN(len(victimTest))], o.Length)); err != nil {
						break
					}
				}
			case AttackMimicry:
				for range o.Sessions {
					if err = run(consecutive(victimTest, o.Length, rng)); err != nil {
						break
					}
				}
			case AttackHillOracle, AttackHillBlind:
				for range o.Sessions {
					own := impostors[rng.IntN(len(impostors))]
					var crafted []float64
					if name == AttackHillOracle {
						crafted, err = a.climbOracle(own, o.Probes, fs, rng, &u)
					} else {
						crafted, err = a.climbBlind(own, o.Probes, fs, rng, &u)
					}
					if err != nil {
						break
					}
					xs := make([][]float64, o.Length)
					for i := range xs {
						xs[i] = fs.jitter(crafted, rng)
					}
					if err = run(xs); err != nil {
						break
					}
				}
			}
			if err != nil {
				return nil, err
			}
			out = append(out, u)
		}
	}
	return out, nil
}

// climbOracle hill-climbs on the model's score in one session of probes
// and returns the best vector found.
func (a *attacker) climbOracle(own [][]float64, probes int, fs *featureSpace, rng *rand.Rand, u *AttackUser) ([]float64, error) {
	j, err := a.dep.newJudge()
	if err != nil {
		return nil, err
	}
	best := own[rng.IntN(len(own))]
	_, acc, _, bestScore := a.send(j, best)
	u.Probes++
	if acc {
		u.ProbesAccepted++
	}
	for range probes - 1 {
		cand := fs.perturb(best, rng)
		_, acc, _, s := a.send(j, cand)
		u.Probes++
		if acc {
			u.ProbesAccepted++
		}
		if s > bestScore {
			best, bestScore = cand, s
		}
	}
	return best, nil
}

// judgedAfter is the fewest actions of one vector (jittered) after which
// the deployment's rule can accept it in a fresh session: the window for
// the window rule, ceil((Accept-Start)/Step) for the sequential rule. The
// attacker knows it: the policy is no secret.
func (a *attacker) judgedAfter() int {
	p := a.dep.Policy
	if p.Rule == decide.Window {
		return p.N
	}
	return max(1, int(math.Ceil((p.Accept-p.Start)/p.Step-1e-9)))
}

// climbBlind hill-climbs on accept/refuse: each candidate in a fresh
// login, sent until the rule judges it, and returns the last accepted
// candidate (or the start).
func (a *attacker) climbBlind(own [][]float64, probes int, fs *featureSpace, rng *rand.Rand, u *AttackUser) ([]float64, error) {
	perCandidate := a.judgedAfter()
	cur := own[rng.IntN(len(own))]
	found := false
	for sent := 0; sent+perCandidate <= probes; sent += perCandidate {
		var cand []float64
		switch {
		case sent == 0:
			cand = cur
		case !found && rng.IntN(2) == 0:
			cand = own[rng.IntN(len(own))]
		default:
			cand = fs.perturb(cur, rng)
		}
		xs := make([][]float64, perCandidate)
		for i := range xs {
			xs[i] = fs.jitter(cand, rng)
		}
		j, err := a.dep.newJudge()
		if err != nil {
			return nil, err
		}
		var acc bool
		for _, x := range xs {
			var ok bool
			_, ok, _, _ = a.send(j, x)
			u.Probes++
			if ok {
				u.ProbesAccepted++
			}
			acc = ok
		}
		if acc {
			cur, found = cand, true
		}
	}
	return cur, nil
}
