package dataset

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// SynthOptions configure [Synthesize].
type SynthOptions struct {
	Users    int // users User1 .. UserN
	Sessions int // sessions per user
	// Actions is the number of pointing actions per session (default 300).
	Actions int
	Seed    uint64
	// Start is the date of every user's first session (default 2026-01-05
	// 09:00 UTC); it only names the files.
	Start time.Time
	// Workers is the number of users generated at once (default 1). The
	// output does not depend on it.
	Workers int
}

// SynthStats counts what was generated.
type SynthStats struct {
	Users, Sessions, Events int
}

// Profile is one synthetic user's habits: the parameters of the generative
// model below, drawn once per user from the seed. Users differ in every
// parameter, and every stroke adds noise of its own, so users overlap: a
// classifier has a real task.
//
// The model of one pointing action:
//   - Target: a point on the screen at a distance drawn log-normally around
//     the user's TypicalDist from the cursor, with a target width W.
//   - Duration: Fitts' law, FittsA + FittsB*log2(D/W + 1) seconds, with 8%
//     noise per stroke.
//   - Path: a straight line bowed sideways by Bow*D*sin(pi*u) (u from 0 to
//     1 along the stroke); Bow is drawn per stroke around the user's BowMean
//     (whose sign is the user's handedness bias) with spread BowSD.
//   - Speed profile: minimum jerk, s(u) = 10u^3 - 15u^4 + 6u^5, on a warped
//     time u = tau^Skew, so users differ in when they reach peak speed.
//   - Overshoot: with probability OvershootP the stroke ends past the target
//     by OvershootSize*D and a short corrective sub-movement follows.
//   - Tremor: Gaussian jitter of Tremor pixels on every sample.
//   - Sampling: a row every SampleMS milliseconds, +-3 ms jitter.
//   - After the stroke: a left click (ClickP), held for ClickHold seconds,
//     sometimes a right click (RightP); or a drag (DragP) to a second target
//     with Drag rows (DFL writes them with NoButton); or nothing (a move).
//     Now and then a scroll row (ScrollP) in DFL's form "Nobutton,Scrool,x,x".
//   - Pause before the next action: log-normal around PauseMedian seconds;
//     with probability LongPauseP a pause of 10-40 s (which ends a mouse-move
//     action in segmentation).
//   - Artefacts, rarely: a repeated row and a second row at the same instant,
//     so cleaning has something to count.
type Profile struct {
	ScreenW, ScreenH          int
	FittsA, FittsB            float64
	TypicalDist               float64
	BowMean, BowSD            float64
	Skew                      float64
	OvershootP, OvershootSize float64
	Tremor                    float64
	SampleMS                  float64
	ClickP, RightP, DragP     float64
	ClickHold                 float64
	ScrollP                   float64
	PauseMedian, LongPauseP   float64
	RepeatP, SameTimeP        float64
}

var screens = [][2]int{{1920, 1080}, {1680, 1050}, {1366, 768}, {2560, 1440}, {1440, 900}}

// NewProfile draws user u's profile (u from 1) from seed. A user's profile
// depends only on (seed, u), not on how many users are generated.
func NewProfile(seed uint64, u int) Profile {
	r := rand.New(rand.NewPCG(seed, uint64(u)<<32|0xa11ce))
	uni := func(a, b float64) float64 { return a + (b-a)*r.Float64() }
	sc := screens[r.IntN(len(screens))]
	hand := 1.0
	if r.Float64() < 0.3 {
		hand = -1
	}
	return Profile{
		ScreenW: sc[0], ScreenH: sc[1],
		FittsA: uni(0.08, 0.25), FittsB: uni(0.07, 0.2),
		TypicalDist: uni(150, 550),
		BowMean:     hand * uni(0.0, 0.2), BowSD: uni(0.02, 0.08),
		Skew:       uni(0.8, 1.25),
		OvershootP: uni(0.05, 0.4), OvershootSize: uni(0.02, 0.1),
		Tremor:   uni(0.2, 1.5),
		SampleMS: uni(8, 20),
		ClickP:   uni(0.45, 0.75), RightP: uni(0.02, 0.1), DragP: uni(0.05, 0.2),
		ClickHold:   uni(0.06, 0.16),
		ScrollP:     uni(0.0, 0.08),
		PauseMedian: uni(0.3, 2.0), LongPauseP: uni(0.01, 0.04),
		RepeatP: 0.002, SameTimeP: 0.002,
	}
}

// SessionName is the DFL file name of user u's session s (from 0):
// yyyy_MM_dd__HH_mm_ss, one day apart, at a time of day that depends on u.
func SessionName(start time.Time, u, s int) string {
	t := start.AddDate(0, 0, s).Add(time.Duration(u%8)*time.Hour + time.Duration(u*7%60)*time.Minute)
	return t.Format("2006_01_02__15_04_05")
}

// DFLHeader is the header of a DFL log.
const DFLHeader = "client timestamp,button,state,x,y"

// SynthSession writes one session of user u (from 1), session s (from 0) as
// a DFL log to w and returns the number of events. The bytes depend only on
// (seed, p, u, s, actions).
func SynthSession(w io.Writer, seed uint64, p Profile, u, s, actions int) (int, error) {
	g := &synthGen{
		p:  p,
		r:  rand.New(rand.NewPCG(seed^0x5e55, uint64(u)<<32|uint64(s))),
		bw: bufio.NewWriterSize(w, 64<<10),
	}
	g.bw.WriteString(DFLHeader + "\n")
	g.x, g.y = float64(p.ScreenW)/2, float64(p.ScreenH)/2
	g.t = 1000 + float64(g.r.IntN(5000)) // ms since the logger started
	for a := 0; a < actions; a++ {
		g.action()
		g.pause()
	}
	return g.n, g.bw.Flush()
}

type synthGen struct {
	p    Profile
	r    *rand.Rand
	bw   *bufio.Writer
	buf  []byte
	t    float64 // ms
	x, y float64
	n    int
	last []byte
}

func (g *synthGen) action() {
	p := g.p
	tx, ty := g.target()
	width := 10 + 30*g.r.Float64()
	over := g.r.Float64() < p.OvershootP
	ex, ey := tx, ty
	if over {
		d := math.Hypot(tx-g.x, ty-g.y)
		if d > 1 {
			k := p.OvershootSize * (0.5 + g.r.Float64())
			ex, ey = tx+(tx-g.x)*k, ty+(ty-g.y)*k
		}
	}
	drag := g.r.Float64() < p.DragP
	g.stroke(ex, ey, width, "NoButton", "Move")
	if over {
		g.stroke(tx, ty, width*2, "NoButton", "Move")
	}
	switch {
	case drag:
		g.row("Left", "Pressed")
		g.t += 60 + 80*g.r.Float64()
		dx, dy := g.target()
		g.stroke(dx, dy, width, "NoButton", "Drag")
		g.t += 20 + 40*g.r.Float64()
		g.row("Left", "Released")
	case g.r.Float64() < p.ClickP:
		b := "Left"
		if g.r.Float64() < p.RightP {
			b = "Right"
		}
		g.t += 30 + 120*g.r.Float64()
		g.row(b, "Pressed")
		g.t += 1000 * math.Max(0.02, p.ClickHold*(1+0.25*g.r.NormFloat64()))
		g.row(b, "Released")
	}
	if g.r.Float64() < p.ScrollP {
		for k := 1 + g.r.IntN(4); k > 0; k-- {
			g.t += 30 + 60*g.r.Float64()
			g.scroll()
		}
	}
}

// target picks the next target: log-normal distance around TypicalDist in a
// random direction, kept on the screen.
func (g *synthGen) target() (float64, float64) {
	p := g.p
	d := p.TypicalDist * math.Exp(0.45*g.r.NormFloat64())
	ang := 2 * math.Pi * g.r.Float64()
	x := clamp(g.x+d*math.Cos(ang), 5, float64(p.ScreenW-5))
	y := clamp(g.y+d*math.Sin(ang), 5, float64(p.ScreenH-5))
	return x, y
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// stroke moves from the cursor to (tx, ty) along a bowed minimum-jerk path.
func (g *synthGen) stroke(tx, ty, width float64, button, state string) {
	p := g.p
	x0, y0 := g.x, g.y
	dx, dy := tx-x0, ty-y0
	d := math.Hypot(dx, dy)
	if d < 2 {
		return
	}
	dur := 1000 * (p.FittsA + p.FittsB*math.Log2(d/width+1)) * (1 + 0.08*g.r.NormFloat64())
	dur = math.Max(dur, 3*p.SampleMS)
	bow := p.BowMean + p.BowSD*g.r.NormFloat64()
	nx, ny := -dy/d, dx/d // unit normal
	el := 0.0
	for {
		el += p.SampleMS + 3*(2*g.r.Float64()-1)
		tau := math.Min(el/dur, 1)
		u := math.Pow(tau, p.Skew)
		s := u * u * u * (10 - 15*u + 6*u*u)
		off := bow * d * math.Sin(math.Pi*s)
		g.x = x0 + dx*s + nx*off + p.Tremor*g.r.NormFloat64()
		g.y = y0 + dy*s + ny*off + p.Tremor*g.r.NormFloat64()
		g.x = clamp(g.x, 0, float64(p.ScreenW-1))
		g.y = clamp(g.y, 0, float64(p.ScreenH-1))
		g.t0row(el, button, state)
		if tau >= 1 {
			break
		}
	}
	g.t += el // the last sample is at or past dur
}

func (g *synthGen) t0row(el float64, button, state string) {
	t := g.t
	g.t += el
	g.row(button, state)
	if g.r.Float64() < g.p.SameTimeP {
		g.x++
		g.row(button, state)
	}
	g.t = t
}

func (g *synthGen) pause() {
	if g.r.Float64() < g.p.LongPauseP {
		g.t += 1000 * (10 + 30*g.r.Float64())
		return
	}
	g.t += 1000 * g.p.PauseMedian * math.Exp(0.8*g.r.NormFloat64())
}

func (g *synthGen) row(button, state string) {
	b := g.buf[:0]
	b = strconv.AppendInt(b, int64(g.t), 10)
	b = append(b, ',')
	b = append(b, button...)
	b = append(b, ',')
	b = append(b, state...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(math.Round(g.x)), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(math.Round(g.y)), 10)
	b = append(b, '\n')
	g.emit(b)
	if g.r.Float64() < g.p.RepeatP {
		g.emit(b)
	}
	g.buf = b
}

func (g *synthGen) scroll() {
	b := g.buf[:0]
	b = strconv.AppendInt(b, int64(g.t), 10)
	b = append(b, ",Nobutton,Scrool,"...)
	x := int64(math.Round(g.x))
	b = strconv.AppendInt(b, x, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, x, 10)
	b = append(b, '\n')
	g.emit(b)
	g.buf = b
}

func (g *synthGen) emit(b []byte) {
	g.bw.Write(b)
	g.n++
}

// Synthesize generates opts.Users users with opts.Sessions sessions each.
// create opens the writer for a user's session, named as in the DFL layout
// (user "User3", session "2026_01_05__12_21_00"); the caller adds the
// ".CSV" and the folder. done is called after each user (may be nil).
// Users are generated opts.Workers at a time; every session's bytes are the
// same whatever the number of workers.
func Synthesize(ctx context.Context, opts SynthOptions, create func(user, session string) (io.WriteCloser, error), done func()) (SynthStats, error) {
	if opts.Users <= 0 || opts.Sessions <= 0 {
		return SynthStats{}, fmt.Errorf("synth: users and sessions must be positive, not %d and %d", opts.Users, opts.Sessions)
	}
	if opts.Actions <= 0 {
		opts.Actions = 300
	}
	if opts.Start.IsZero() {
		opts.Start = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	}
	workers := max(opts.Workers, 1)
	var (
		mu    sync.Mutex
		st    SynthStats
		first error
		wg    sync.WaitGroup
	)
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range next {
				n, err := synthUser(opts, u, create)
				mu.Lock()
				st.Users++
				st.Sessions += opts.Sessions
				st.Events += n
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
				if done != nil {
					done()
				}
			}
		}()
	}
	for u := 1; u <= opts.Users; u++ {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		next <- u
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return st, first
}

func synthUser(opts SynthOptions, u int, create func(user, session string) (io.WriteCloser, error)) (int, error) {
	p := NewProfile(opts.Seed, u)
	user := "User" + strconv.Itoa(u)
	total := 0
	for s := 0; s < opts.Sessions; s++ {
		w, err := create(user, SessionName(opts.Start, u, s))
		if err != nil {
			return total, err
		}
		n, err := SynthSession(w, opts.Seed, p, u, s, opts.Actions)
		total += n
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return total, fmt.Errorf("synth %s session %d: %w", user, s, err)
		}
	}
	return total, nil
}
