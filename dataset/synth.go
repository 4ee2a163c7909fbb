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

// SynthOptions configure [Synthesize] and [SynthUser].
type SynthOptions struct {
	// Users is the number of users, named User1 .. UserN. User k's logs do
	// not depend on Users: generating 10 or 10 000 users gives User3 the
	// same bytes.
	Users int
	// Sessions is the number of sessions per user, one day apart.
	Sessions int
	// Actions is the number of pointing actions per session (default 300).
	// One action writes about 50 rows.
	Actions int
	// Seed makes the output: the same Seed and options give the same bytes.
	Seed uint64
	// Start is the date of every user's first session (default 2026-01-05
	// 09:00 UTC); it only names the files.
	Start time.Time
	// Workers is the number of users generated at once (default 1). The
	// output does not depend on it.
	Workers int
}

// withDefaults fills the documented defaults.
func (o SynthOptions) withDefaults() SynthOptions {
	if o.Actions <= 0 {
		o.Actions = 300
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	}
	return o
}

// SynthStats counts what was generated.
type SynthStats struct {
	Users, Sessions, Events int
}

// Profile is one synthetic user's habits: the parameters of a generative
// model of pointing movements, drawn once per user by [NewProfile]. Users
// differ in every parameter, and every stroke adds noise of its own, so the
// users' distributions overlap and a classifier has a real task.
//
// One action: pick a target, move there in one primary movement and a few
// corrective sub-movements (overshooting now and then), then click, drag
// or do nothing, maybe scroll, then pause. Each movement follows a
// minimum-jerk speed profile along a sideways-bowed path, sampled every few
// milliseconds with jitter, as a real logger does. The fields below say
// how each step depends on the user.
type Profile struct {
	// ScreenW, ScreenH: the user's screen in pixels (one of five common
	// sizes). Targets and the cursor stay on it.
	ScreenW, ScreenH int

	// FittsA, FittsB: movement time in seconds follows Fitts' law,
	// FittsA + FittsB*log2(D/W + 1) for a movement of D pixels to a target
	// W pixels wide, times (1 + 20% Gaussian noise) per movement. A small
	// FittsB is a fast, confident user; FittsA is the reaction overhead.
	FittsA, FittsB float64

	// TypicalDist: the median distance in pixels to the next target; each
	// distance is log-normal around it (sigma 0.6). Users with large
	// screens and sweeping habits have larger values.
	TypicalDist float64

	// BowMean, BowSD: curvature. A movement of D pixels bows sideways by
	// Bow*D*sin(pi*s) at progress s, Bow drawn per movement as
	// Normal(BowMean, BowSD). The sign of BowMean is the user's handedness
	// bias (30% of users bow the other way); BowSD is how consistent they are.
	BowMean, BowSD float64

	// Skew: the minimum-jerk position s(u) = 10u^3 - 15u^4 + 6u^5 is run on
	// a warped clock u = tau^Skew (tau = elapsed/duration), so some users
	// reach peak speed early (Skew < 1) and home in slowly, others late.
	Skew float64

	// OvershootP, OvershootSize: with probability OvershootP the primary
	// movement ends past the target by about OvershootSize*D (times
	// 0.5-1.5) and corrective sub-movements bring the cursor back.
	OvershootP, OvershootSize float64

	// SubMoves: the mean number of corrective sub-movements after the
	// primary one (Poisson, at most 3). With k > 0 corrections and no
	// overshoot, the primary movement stops short (at 80-97% of the way,
	// a little to the side) and each correction closes most of the rest,
	// the last one landing on the target; the cursor dwells 20-80 ms
	// between sub-movements. Careful users have more of them.
	SubMoves float64

	// Tremor: Gaussian jitter in pixels added to every sample.
	Tremor float64

	// SampleMS: the logger samples the pointer every SampleMS milliseconds
	// (14-17 ms across users: loggers on one platform sample alike) with +-3 ms jitter, and
	// writes a row only when the pointer has moved to another pixel, so
	// the slow start and end of a movement have sparser rows.
	SampleMS float64

	// ClickP, RightP, ClickHold: after a movement that is not a drag, the
	// user clicks with probability ClickP, with the right button with
	// probability RightP, 30-150 ms after arriving, and holds the button
	// ClickHold seconds (times 1 + 25% Gaussian noise, at least 20 ms).
	ClickP, RightP, ClickHold float64

	// DragP: probability that an action is a drag-and-drop: left press at
	// the target, a movement to a second target written as Drag rows (DFL
	// writes them with NoButton), and a left release.
	DragP float64

	// ScrollP: probability that 1-4 scroll rows follow an action, in DFL's
	// form "Nobutton,Scrool,x,x" (misspelt state, x repeated where y is).
	ScrollP float64

	// PauseMedian, LongPauseP: the pause before the next action is
	// log-normal around PauseMedian seconds (sigma 0.8); with probability
	// LongPauseP it is a 10-40 s break instead, which ends a mouse-move
	// action in segmentation.
	PauseMedian, LongPauseP float64

	// RepeatP, SameTimeP: artefacts of real loggers, rare and the same for
	// every user: a row written twice, and a second row at the same
	// millisecond one pixel to the right. Cleaning counts both.
	RepeatP, SameTimeP float64
}

var screens = [][2]int{{1920, 1080}, {1680, 1050}, {1366, 768}, {2560, 1440}, {1440, 900}}

// NewProfile draws user u's profile (u from 1) from seed with a generator
// of its own, so a user's profile depends only on (seed, u), not on how
// many users are generated. The ranges are uniform; see [Profile].
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
		FittsA: uni(0.1, 0.2), FittsB: uni(0.09, 0.16),
		TypicalDist: uni(200, 450),
		BowMean:     hand * uni(0.0, 0.12), BowSD: uni(0.04, 0.09),
		Skew:       uni(0.9, 1.12),
		OvershootP: uni(0.05, 0.4), OvershootSize: uni(0.02, 0.1),
		SubMoves: uni(0.1, 1.5),
		Tremor:   uni(0.3, 1.0),
		SampleMS: uni(14, 17),
		ClickP:   uni(0.45, 0.75), RightP: uni(0.02, 0.1), DragP: uni(0.05, 0.2),
		ClickHold:   uni(0.08, 0.13),
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
// a DFL log to w and returns the number of rows written after the header.
// The bytes depend only on (seed, p, u, s, actions): the session has its own
// generator seeded from (seed, u, s). Timestamps are integer milliseconds
// since the logger started (the first row is 1-6 s in) and never decrease.
// Use it to stream a single session, e.g. with a hand-made [Profile].
func SynthSession(w io.Writer, seed uint64, p Profile, u, s, actions int) (int, error) {
	bw := bufPool.Get().(*bufio.Writer)
	bw.Reset(w)
	defer func() { bw.Reset(nil); bufPool.Put(bw) }()
	g := &synthGen{
		p:  p,
		r:  rand.New(rand.NewPCG(seed^0x5e55, uint64(u)<<32|uint64(s))),
		bw: bw,
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

// bufPool recycles the 64 KiB session buffers, so generating thousands of
// users allocates a few buffers, not one per session.
var bufPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 64<<10) }}

type synthGen struct {
	p    Profile
	r    *rand.Rand
	bw   *bufio.Writer
	buf  []byte
	t    float64 // ms
	x, y float64
	n    int
	// the pixel of the last movement row
	lastX, lastY int64
}

func (g *synthGen) action() {
	p := g.p
	tx, ty := g.target()
	width := 10 + 30*g.r.Float64()
	over := g.r.Float64() < p.OvershootP
	k := g.poisson(p.SubMoves, 3)
	drag := g.r.Float64() < p.DragP
	g.approach(tx, ty, width, k, over)
	switch {
	case drag:
		g.t += 30 + 120*g.r.Float64()
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

// approach moves the cursor to (tx, ty): a primary movement and k
// corrective sub-movements (at least one after an overshoot). See
// [Profile.SubMoves] and [Profile.OvershootP].
func (g *synthGen) approach(tx, ty, width float64, k int, over bool) {
	p := g.p
	dx, dy := tx-g.x, ty-g.y
	d := math.Hypot(dx, dy)
	if over {
		k = max(k, 1)
	}
	if k == 0 || d < 20 {
		g.stroke(tx, ty, width, "NoButton", "Move")
		return
	}
	reach := 0.8 + 0.17*g.r.Float64() // stop short
	if over {
		reach = 1 + p.OvershootSize*(0.5+g.r.Float64())
	}
	side := 0.03 * d * g.r.NormFloat64()
	nx, ny := -dy/d, dx/d
	g.stroke(g.clampX(g.x+dx*reach+nx*side), g.clampY(g.y+dy*reach+ny*side), width, "NoButton", "Move")
	for i := 1; i <= k; i++ {
		g.t += 20 + 60*g.r.Float64() // dwell between sub-movements
		if i == k {
			g.stroke(tx, ty, 2*width, "NoButton", "Move")
			break
		}
		f := 0.7 + 0.25*g.r.Float64()
		ex := g.x + (tx-g.x)*f + 0.5*p.Tremor*g.r.NormFloat64()
		ey := g.y + (ty-g.y)*f + 0.5*p.Tremor*g.r.NormFloat64()
		g.stroke(g.clampX(ex), g.clampY(ey), 2*width, "NoButton", "Move")
	}
}

// poisson draws a Poisson count with mean lambda, at most limit (Knuth's
// method: lambda is small, so the loop is short).
func (g *synthGen) poisson(lambda float64, limit int) int {
	l, prod := math.Exp(-lambda), g.r.Float64()
	k := 0
	for prod > l && k < limit {
		k++
		prod *= g.r.Float64()
	}
	return k
}

func (g *synthGen) clampX(x float64) float64 { return clamp(x, 0, float64(g.p.ScreenW-1)) }
func (g *synthGen) clampY(y float64) float64 { return clamp(y, 0, float64(g.p.ScreenH-1)) }

// target picks the next target: log-normal distance around TypicalDist in a
// random direction, kept on the screen.
func (g *synthGen) target() (float64, float64) {
	p := g.p
	d := p.TypicalDist * math.Exp(0.6*g.r.NormFloat64())
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
	dur := 1000 * (p.FittsA + p.FittsB*math.Log2(d/width+1)) * (1 + 0.2*g.r.NormFloat64())
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
		// A logger writes a row only when the pointer moves a pixel.
		if ix, iy := int64(math.Round(g.x)), int64(math.Round(g.y)); ix != g.lastX || iy != g.lastY {
			g.lastX, g.lastY = ix, iy
			g.t0row(el, button, state)
		}
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

// Synthesize generates opts.Users users with opts.Sessions sessions each,
// as DFL logs: it is a pure function of (opts.Seed, opts) that writes each
// session to a writer it asks create for. create opens the writer for a
// user's session, named as in the DFL layout (user "User3", session
// "2026_01_07__12_21_00"); the caller adds the folder and the ".CSV" (the
// command writes DIR/User3/2026_01_07__12_21_00.CSV). Synthesize closes
// every writer it gets. done is called after each user (may be nil), from
// the worker goroutines: a progress bar fits.
//
// Users are generated opts.Workers at a time; every session's bytes are the
// same whatever the number of workers or GOMAXPROCS, and memory does not
// grow with the number of users (each session streams through a 64 KiB
// buffer). Synthesize stops at the first error or when ctx is done, and
// returns what was written so far.
func Synthesize(ctx context.Context, opts SynthOptions, create func(user, session string) (io.WriteCloser, error), done func()) (SynthStats, error) {
	if opts.Users <= 0 || opts.Sessions <= 0 {
		return SynthStats{}, fmt.Errorf("synth: users and sessions must be positive, not %d and %d", opts.Users, opts.Sessions)
	}
	opts = opts.withDefaults()
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
				n, err := SynthUser(ctx, opts, u, create)
				mu.Lock()
				st.Users++
				st.Sessions += n.Sessions
				st.Events += n.Events
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

// SynthUser streams the opts.Sessions sessions of user u (from 1; the user
// is named "User<u>") to writers from create, one at a time, and closes
// each. opts.Users and opts.Workers are ignored: the bytes depend only on
// (opts.Seed, u, opts.Actions, opts.Start), so a load test can generate any
// user on its own, in any order. The returned stats count this user's
// sessions and events (Users is 1).
func SynthUser(ctx context.Context, opts SynthOptions, u int, create func(user, session string) (io.WriteCloser, error)) (SynthStats, error) {
	opts = opts.withDefaults()
	p := NewProfile(opts.Seed, u)
	user := "User" + strconv.Itoa(u)
	st := SynthStats{Users: 1}
	for s := 0; s < opts.Sessions; s++ {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		name := SessionName(opts.Start, u, s)
		w, err := create(user, name)
		if err != nil {
			return st, fmt.Errorf("synth %s/%s: %w", user, name, err)
		}
		n, err := SynthSession(w, opts.Seed, p, u, s, opts.Actions)
		st.Events += n
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return st, fmt.Errorf("synth %s/%s: %w", user, name, err)
		}
		st.Sessions++
	}
	return st, nil
}
