package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"golang.org/x/sync/errgroup"

	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/replay"
)

// This file uses only what the live, replay and wire packages offered
// before login budgets existed, so that scripts/flood-before-after.sh can
// copy it into the tree before them and measure both with one program;
// who sends what (client identities since login version 3) is in
// flood_clients.go, of which the script writes the older tree's version.

// FloodOptions configure [RunFlood].
type FloodOptions struct {
	// Logins is the flood: wrong passwords for the honest users, sealed
	// beforehand and written in one produce request (default 2000).
	Logins int
	// Users is the honest users (default 8), enrolled with the default
	// argon2id parameters (the flood's wrong passwords cost what real
	// ones do).
	Users int
	// Vectors and Interval are each in-flight session's vectors and their
	// pace (default 100 every 50 ms: 5 s).
	Vectors  int
	Interval time.Duration
	Seed     uint64
	Trees    int           // of the users' models (default 20)
	Wait     time.Duration // for answers (default 5 min: the flood takes minutes without budgets)
	Now      func() time.Time
	Logger   *slog.Logger // the service's and the clients' warnings (default discard)
	Notes    io.Writer    // a line per phase (default discard)
}

func (o *FloodOptions) defaults() {
	if o.Logins <= 0 {
		o.Logins = 2000
	}
	if o.Users <= 0 {
		o.Users = 8
	}
	if o.Vectors <= 0 {
		o.Vectors = 100
	}
	if o.Interval <= 0 {
		o.Interval = 50 * time.Millisecond
	}
	if o.Trees <= 0 {
		o.Trees = 20
	}
	if o.Wait <= 0 {
		o.Wait = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Notes == nil {
		o.Notes = io.Discard
	}
}

// FloodRun is one measured run: honest sessions in flight, then (in the
// flood run) the flood written, then honest logins right behind it.
type FloodRun struct {
	Flood int // bad logins written (0: the baseline)
	// Written is how long writing the flood took; Answered how long from
	// then until the service had answered every flood login.
	Written, Answered time.Duration
	// Logins are the honest logins sent right after the flood (in the
	// baseline, at the same moment): send to answer, ms.
	Logins             replay.Summary
	Accepted, Refused  int
	Vectors            replay.Summary // the in-flight sessions' vectors sent from the flood on: send to decision, ms
	LaterVectors       replay.Summary // the vectors of the sessions the honest logins opened
	Results            map[string]float64
	InFlight, LoggedIn int // sessions
}

// FloodResult is the baseline and the flood, measured on one service.
type FloodResult struct {
	Options         FloodOptions
	Baseline, Flood FloodRun
}

// RunFlood enrols o.Users honest users, runs a scoring service on p and
// measures what a flood of wrong passwords costs them: honest sessions
// stream vectors; a second in, the flood is written as fast as one produce
// request goes, and the honest users log in again right behind it, 50 ms
// apart (sessions of the replay client, as the in-flight ones). The
// same run without the flood comes first. Before both, each honest user
// logs in once from its workstation: a client that logged the user in
// before.
func RunFlood(ctx context.Context, p Pipeline, o FloodOptions) (FloodResult, error) {
	o.defaults()
	if p.Topics.Logins == "" {
		p.Topics = topics.Default()
	}
	if len(p.Keys.Scorer) == 0 {
		var err error
		if p.Keys, err = live.GenerateKeys(); err != nil {
			return FloodResult{}, err
		}
	}
	base, err := replay.Synthetic(ctx, 10, 3, 80, o.Seed)
	if err != nil {
		return FloodResult{}, err
	}
	fmt.Fprintf(o.Notes, "flood: enrolling %d honest users with the default argon2id parameters\n", o.Users)
	users, err := replay.PlanLoad(ctx, p.Credentials, p.Profiles, base, replay.LoadOptions{Users: o.Users, Vectors: o.Vectors,
		Train: account.TrainOptions{Params: map[string]any{"trees": o.Trees}, Seed: int64(o.Seed)}, Argon2: account.DefaultArgon2, Now: o.Now()})
	if err != nil {
		return FloodResult{}, err
	}
	if p.EnsureUserTopics != nil {
		var names []string
		for _, u := range users {
			names = append(names, u.LoginAs)
		}
		if err := p.EnsureUserTopics(ctx, names); err != nil {
			return FloodResult{}, err
		}
	}
	svc, err := live.New(live.Config{Brokers: p.Brokers, TLS: p.Scorer, SASL: p.ScorerSASL, Topics: p.Topics, Profiles: p.Profiles,
		Credentials: p.Credentials, Logger: o.Logger, Keys: p.Keys, Retrain: live.RetrainPolicy{Every: -1}})
	if err != nil {
		return FloodResult{}, err
	}
	stop, err := svc.Start(ctx, nil)
	if err != nil {
		return FloodResult{}, err
	}
	var names []string
	for _, u := range users {
		names = append(names, u.LoginAs)
	}
	floodC, honest, err := floodClients(ctx, p, names)
	if err != nil {
		return FloodResult{}, errors.Join(err, stop())
	}
	f := &flood{p: p, o: o, users: users, svc: svc, flood: floodC, honest: honest}
	res := FloodResult{Options: o}
	if err = f.warm(ctx); err == nil {
		fmt.Fprintln(o.Notes, "flood: baseline (no flood)")
		if res.Baseline, err = f.run(ctx, 0); err == nil {
			fmt.Fprintf(o.Notes, "flood: %d bad logins\n", o.Logins)
			res.Flood, err = f.run(ctx, o.Logins)
		}
	}
	if serr := stop(); err == nil && serr != nil {
		err = fmt.Errorf("bench: scoring service: %w", serr)
	}
	return res, err
}

type flood struct {
	p     Pipeline
	o     FloodOptions
	users []replay.Session
	svc   *live.Service
	round int
	// flood sends the flood; honest[user] the user's sessions.
	flood  floodClient
	honest map[string]floodClient
}

// floodClient is who sends one kind of session: its connection, how it
// seals a login, and the topic its decisions come on.
type floodClient struct {
	tls       *tls.Config
	sasl      sasl.Mechanism
	seal      func(wire.Login) ([]byte, wire.SessionKey, error)
	decisions string
}

// sources are the decision topics of every client, each read with its
// client's credentials.
func (f *flood) sources() []floodClient {
	out := []floodClient{f.flood}
	seen := map[string]bool{f.flood.decisions: true}
	for _, u := range f.users {
		if c := f.honest[u.LoginAs]; !seen[c.decisions] {
			seen[c.decisions] = true
			out = append(out, c)
		}
	}
	return out
}

// sessions gives every honest user a session of n vectors.
func (f *flood) sessions(name string, n int) []replay.Session {
	f.round++
	out := make([]replay.Session, len(f.users))
	for i, u := range f.users {
		s := u
		s.ID = fmt.Sprintf("%s-%d-%d", name, f.round, i)
		s.Vectors = make([]replay.Timed, n)
		for j := range s.Vectors {
			s.Vectors[j] = u.Vectors[j%len(u.Vectors)]
		}
		out[i] = s
	}
	return out
}

// play plays the sessions, stagger apart, each from its user's own
// workstation (client "ws-<user>"): a login sealed to the scorer, its
// answer awaited, then its vectors one every o.Interval, MAC'd under the
// session key. It returns once every session has sent what it sends.
func (f *flood) play(ctx context.Context, rd *decisionReader, ss []replay.Session, stagger time.Duration) error {
	writers := map[string]*kafka.Writer{}
	for _, s := range ss {
		if writers[s.LoginAs] == nil {
			c := f.honest[s.LoginAs]
			writers[s.LoginAs] = topics.NewWriter(f.p.Brokers, c.tls, c.sasl)
			defer writers[s.LoginAs].Close()
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range ss {
		if i > 0 {
			select {
			case <-time.After(stagger):
			case <-gctx.Done():
				return g.Wait()
			}
		}
		g.Go(func() error {
			w := writers[s.LoginAs]
			login, key, err := f.honest[s.LoginAs].seal(wire.Login{User: s.LoginAs, Session: s.ID, Client: "ws-" + s.LoginAs,
				Password: s.Password, Sent: time.Now()})
			if err != nil {
				return err
			}
			if err := w.WriteMessages(gctx, kafka.Message{Topic: f.p.Topics.Logins, Key: []byte(s.LoginAs), Value: login}); err != nil {
				return fmt.Errorf("bench: login of %s: %w", s.ID, err)
			}
			if err := rd.await(gctx, f.o.Wait, func() bool { return rd.answered(ss[i:i+1]) == 1 }); err != nil {
				return fmt.Errorf("bench: login of %s: %w", s.ID, err)
			}
			if !rd.accepted(s.ID) {
				return nil
			}
			begin := time.Now()
			for j, v := range s.Vectors {
				select { // the schedule, not a synchronisation
				case <-time.After(time.Until(begin.Add(time.Duration(j) * f.o.Interval))):
				case <-gctx.Done():
					return gctx.Err()
				}
				p, err := wire.SignVector(nil, wire.Vector{User: s.LoginAs, Session: s.ID, Seq: int64(j), Sent: time.Now(), Values: v.Values}, key)
				if err != nil {
					return err
				}
				if err := w.WriteMessages(gctx, kafka.Message{Topic: f.p.Topics.FeaturesFor(s.LoginAs), Key: []byte(s.LoginAs), Value: p}); err != nil {
					return fmt.Errorf("bench: vector %d of %s: %w", j, s.ID, err)
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// warm logs each honest user in once from its workstation, and waits for
// the answers and decisions.
func (f *flood) warm(ctx context.Context) error {
	rd, err := newDecisionReader(ctx, f.p, f.sources())
	if err != nil {
		return err
	}
	defer rd.stop()
	ss := f.sessions("warm", 1)
	if err := f.play(ctx, rd, ss, time.Millisecond); err != nil {
		return err
	}
	return rd.await(ctx, f.o.Wait, func() bool { return rd.decided(ss) })
}

// run measures one run with n bad logins (0: the baseline).
func (f *flood) run(ctx context.Context, n int) (FloodRun, error) {
	o := f.o
	out := FloodRun{Flood: n, Results: map[string]float64{}}
	before := loginResults(f.svc)
	rd, err := newDecisionReader(ctx, f.p, f.sources())
	if err != nil {
		return out, err
	}
	defer rd.stop()
	// The flood, sealed beforehand: only the writing is timed.
	var msgs []kafka.Message
	for i := range n {
		u := f.users[i%len(f.users)]
		p, _, err := f.flood.seal(wire.Login{User: u.LoginAs, Session: fmt.Sprintf("flood-%d-%d", f.round, i),
			Client: "flood", Password: "not the password", Sent: time.Now()})
		if err != nil {
			return out, err
		}
		msgs = append(msgs, kafka.Message{Topic: f.p.Topics.Logins, Key: []byte(u.LoginAs), Value: p})
	}
	floodPrefix := fmt.Sprintf("flood-%d-", f.round)
	inFlight := f.sessions("inflight", o.Vectors)
	later := f.sessions("later", o.Vectors/2)
	out.InFlight, out.LoggedIn = len(inFlight), len(later)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return f.play(gctx, rd, inFlight, time.Millisecond) })
	// A second of the in-flight sessions' vectors, then the flood.
	if err := rd.await(gctx, o.Wait, func() bool { return rd.answered(inFlight) == len(inFlight) }); err != nil {
		return out, errors.Join(err, g.Wait())
	}
	select {
	case <-time.After(time.Second):
	case <-gctx.Done():
		return out, g.Wait()
	}
	start := time.Now()
	if n > 0 {
		w := topics.NewWriter(f.p.Brokers, f.flood.tls, f.flood.sasl)
		err := w.WriteMessages(gctx, msgs...)
		w.Close()
		if err != nil {
			return out, errors.Join(err, g.Wait())
		}
	}
	out.Written = time.Since(start)
	g.Go(func() error { return f.play(gctx, rd, later, 50*time.Millisecond) })
	if n > 0 {
		err := rd.await(gctx, o.Wait, func() bool { return rd.prefixed(floodPrefix) >= n })
		out.Answered = time.Since(start)
		if err != nil {
			return out, errors.Join(fmt.Errorf("bench: %d of %d flood logins answered within %v", rd.prefixed(floodPrefix), n, o.Wait), g.Wait())
		}
	}
	if err := g.Wait(); err != nil {
		return out, err
	}
	if err := rd.await(ctx, o.Wait, func() bool { return rd.decided(inFlight, later) }); err != nil {
		return out, err
	}
	out.Logins, out.Accepted, out.Refused = rd.loginSummary(later)
	out.Vectors = rd.vectorSummary(inFlight, start)
	out.LaterVectors = rd.vectorSummary(later, time.Time{})
	for k, v := range loginResults(f.svc) {
		out.Results[k] = v - before[k]
	}
	return out, nil
}

// loginResults reads the service's logins metric by result.
func loginResults(svc *live.Service) map[string]float64 {
	out := map[string]float64{}
	for _, r := range []string{"accepted", "wrong password", "unknown user", "locked", "backing off", "over budget"} {
		out[r] = live.Value(svc.Stats().Logins, "result", r)
	}
	return out
}

// decisionReader reads the decision topic from its end, as the replaying
// client may, and keeps per session when each answer arrived. It reads the
// decisions unverified: the flood's are answered under keys the bench does
// not keep, and the honest ones are verified by replay.
type decisionReader struct {
	mu     sync.Mutex
	wake   chan struct{}
	logins map[string]loginAnswer
	vecs   map[string][]vecAnswer
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type loginAnswer struct {
	sent, at time.Time
	accept   bool
}

type vecAnswer struct {
	seq      int64
	sent, at time.Time
}

func newDecisionReader(ctx context.Context, p Pipeline, sources []floodClient) (*decisionReader, error) {
	rctx, cancel := context.WithCancel(ctx)
	d := &decisionReader{wake: make(chan struct{}), logins: map[string]loginAnswer{}, vecs: map[string][]vecAnswer{}, cancel: cancel}
	for _, src := range sources {
		if err := d.read(rctx, p, src); err != nil {
			d.stop()
			return nil, err
		}
	}
	return d, nil
}

// read reads src's decision topic from its end, every partition.
func (d *decisionReader) read(ctx context.Context, p Pipeline, src floodClient) error {
	topic := src.decisions
	tr := topics.Transport(src.tls, src.sasl)
	defer tr.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(p.Brokers...), Transport: tr, Timeout: 15 * time.Second}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err == nil && (len(md.Topics) != 1 || md.Topics[0].Error != nil) {
		err = errors.New("no such topic")
	}
	if err != nil {
		return fmt.Errorf("bench: metadata of %s: %w", topic, err)
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, part := range md.Topics[0].Partitions {
		req.Topics[topic] = append(req.Topics[topic], kafka.LastOffsetOf(part.ID))
	}
	offs, err := client.ListOffsets(ctx, req)
	if err != nil {
		return fmt.Errorf("bench: offsets of %s: %w", topic, err)
	}
	for _, po := range offs.Topics[topic] {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: p.Brokers, Topic: topic, Partition: po.Partition,
				Dialer: topics.Dialer(src.tls, src.sasl), MinBytes: 1, MaxBytes: 8 << 20, MaxWait: topics.FetchMaxWait})
			defer r.Close()
			if r.SetOffset(po.LastOffset) != nil {
				return
			}
			for {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					return
				}
				d.add(m.Value, time.Now())
			}
		}()
	}
	return nil
}

func (d *decisionReader) stop() { d.cancel(); d.wg.Wait() }

func (d *decisionReader) add(p []byte, at time.Time) {
	sd, err := wire.ParseDecision(p)
	if err != nil {
		return
	}
	x := sd.Unverified
	d.mu.Lock()
	defer d.mu.Unlock()
	if x.Seq == wire.LoginSeq {
		if _, dup := d.logins[x.Session]; !dup {
			d.logins[x.Session] = loginAnswer{sent: x.Sent, at: at, accept: x.Accept}
		}
	} else {
		d.vecs[x.Session] = append(d.vecs[x.Session], vecAnswer{seq: x.Seq, sent: x.Sent, at: at})
	}
	close(d.wake)
	d.wake = make(chan struct{})
}

// await waits until cond holds, for up to wait.
func (d *decisionReader) await(ctx context.Context, wait time.Duration, cond func() bool) error {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		d.mu.Lock()
		wake := d.wake
		d.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-wake:
		case <-deadline.C:
			return fmt.Errorf("bench: no answer within %v", wait)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (d *decisionReader) answered(ss []replay.Session) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, s := range ss {
		if _, ok := d.logins[s.ID]; ok {
			n++
		}
	}
	return n
}

func (d *decisionReader) accepted(session string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.logins[session].accept
}

func (d *decisionReader) prefixed(prefix string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for id := range d.logins {
		if strings.HasPrefix(id, prefix) {
			n++
		}
	}
	return n
}

// decided reports whether every session of the groups has its login
// answered and, when accepted, every vector decided.
func (d *decisionReader) decided(groups ...[]replay.Session) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ss := range groups {
		for _, s := range ss {
			l, ok := d.logins[s.ID]
			if !ok || (l.accept && len(d.vecs[s.ID]) < len(s.Vectors)) {
				return false
			}
		}
	}
	return true
}

func (d *decisionReader) loginSummary(ss []replay.Session) (replay.Summary, int, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var lat []time.Duration
	acc := 0
	for _, s := range ss {
		l := d.logins[s.ID]
		lat = append(lat, l.at.Sub(l.sent))
		if l.accept {
			acc++
		}
	}
	return replay.Summarize(lat), acc, len(ss) - acc
}

// vectorSummary summarises the latency of the sessions' vectors sent from
// since on.
func (d *decisionReader) vectorSummary(ss []replay.Session, since time.Time) replay.Summary {
	d.mu.Lock()
	defer d.mu.Unlock()
	var lat []time.Duration
	for _, s := range ss {
		seen := map[int64]bool{}
		for _, v := range d.vecs[s.ID] {
			if !seen[v.seq] && !v.sent.Before(since) {
				seen[v.seq] = true
				lat = append(lat, v.at.Sub(v.sent))
			}
		}
	}
	return replay.Summarize(lat)
}

// FloodReport is the result as lines of text: per run, the honest logins'
// latency and answers, the in-flight vectors' latency, how long the flood
// took to write and to be answered, and the logins metric.
func FloodReport(r FloodResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "flood of %d wrong passwords against %d honest users\n", r.Options.Logins, r.Options.Users)
	fmt.Fprintf(&b, "%-8s %10s %10s %10s %8s %8s %12s %12s %12s %12s %10s\n", "run", "login_p50", "login_p99", "login_max", "accepted", "refused",
		"vector_p50", "vector_p99", "written_ms", "answered_s", "checked")
	for _, x := range []struct {
		name string
		r    FloodRun
	}{{"baseline", r.Baseline}, {"flood", r.Flood}} {
		checked := 0.0
		for k, v := range x.r.Results {
			if k != "over budget" && k != "backing off" {
				checked += v
			}
		}
		fmt.Fprintf(&b, "%-8s %10.1f %10.1f %10.1f %8d %8d %12.2f %12.2f %12.1f %12.2f %10.0f\n", x.name, x.r.Logins.P50, x.r.Logins.P99, x.r.Logins.Max,
			x.r.Accepted, x.r.Refused, x.r.Vectors.P50, x.r.Vectors.P99, float64(x.r.Written.Microseconds())/1000, x.r.Answered.Seconds(), checked)
	}
	fmt.Fprintf(&b, "logins metric during the flood run: %v\n", r.Flood.Results)
	if r.Baseline.Vectors.P99 > 0 {
		fmt.Fprintf(&b, "in-flight vectors p99: %.2f ms with the flood, %.2f ms without (ratio %.2f); honest logins p99 %.0f ms\n",
			r.Flood.Vectors.P99, r.Baseline.Vectors.P99, r.Flood.Vectors.P99/r.Baseline.Vectors.P99, r.Flood.Logins.P99)
	}
	return b.String()
}
