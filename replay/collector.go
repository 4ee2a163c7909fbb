package replay

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mouseauth/mouseauth/live/wire"
)

// collector receives decisions and matches them to sent vectors. Waiters
// ([collector.await]) are woken by every message the readers deliver.
type collector struct {
	mu      sync.Mutex
	got     map[string][]bool // per session, by seq: decided already
	logins  map[string]chan wire.Decision
	latency *Sampler
	service *Sampler
	// loginLatency samples each login's send to its answer.
	loginLatency *Sampler
	perSess      map[string]*SessionResult
	keys         map[string]wire.SessionKey // per session, once its login is sealed
	users        int                        // distinct logins
	dups         atomic.Int64
	forged       atomic.Int64
	nDecided     atomic.Int64
	// firstSend and lastDecided bound the span throughput is measured over.
	firstSend, lastDecided time.Time
	// lastLogin is when the last login's answer was taken.
	lastLogin time.Time
	// pos is, per partition of the decision topic, the offset its reader
	// reads next.
	pos map[int]int64
	// wake is closed (and cleared) when a message arrives; made by a
	// waiter.
	wake chan struct{}
}

func newCollector(sessions []Session) (*collector, error) {
	c := &collector{got: map[string][]bool{}, logins: map[string]chan wire.Decision{}, perSess: map[string]*SessionResult{}, keys: map[string]wire.SessionKey{},
		latency: NewSampler(1), service: NewSampler(2), loginLatency: NewSampler(3), pos: map[int]int64{}}
	users := map[string]bool{}
	for _, s := range sessions {
		if _, dup := c.perSess[s.ID]; dup {
			return nil, fmt.Errorf("replay: session id %q used twice", s.ID)
		}
		c.perSess[s.ID] = &SessionResult{User: s.User, LoginAs: s.LoginAs, ID: s.ID, Impostor: s.Impostor()}
		c.logins[s.ID] = make(chan wire.Decision, 1)
		c.got[s.ID] = make([]bool, len(s.Vectors))
		users[s.LoginAs] = true
	}
	c.users = len(users)
	return c, nil
}

// setKey records the session key of session, before its login is sent.
func (c *collector) setKey(session string, key wire.SessionKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys[session] = key
}

// receive takes the message p before offset next of partition. A decision
// of one of the replayed sessions counts only if its MAC verifies under
// that session's key; one that does not is forged (or tampered with) and
// is counted and ignored. Anything else (another client's session, a
// message that is not a decision) is skipped.
func (c *collector) receive(partition int, next int64, p []byte, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pos[partition] = next
	if c.wake != nil {
		close(c.wake)
		c.wake = nil
	}
	sd, err := wire.ParseDecision(p)
	if err != nil {
		return
	}
	key, ok := c.keys[sd.Unverified.Session]
	if !ok {
		return // another client's session, or one whose login is not sealed yet
	}
	d, err := sd.Verify(key)
	if err != nil {
		c.forged.Add(1)
		if sr := c.perSess[sd.Unverified.Session]; sr != nil {
			sr.Forged++
		}
		return
	}
	c.decision(d, now)
}

// decision records d; c.mu is held.
func (c *collector) decision(d wire.Decision, now time.Time) {
	if d.Seq == wire.LoginSeq {
		if ch, ok := c.logins[d.Session]; ok {
			select {
			case ch <- d:
			default:
			}
		}
		return
	}
	sr, ok := c.perSess[d.Session]
	if !ok {
		return // another client's session
	}
	got := c.got[d.Session]
	if d.Seq < 0 || d.Seq >= int64(len(got)) {
		return // not a seq this replay sent
	}
	if got[d.Seq] {
		c.dups.Add(1)
		return
	}
	got[d.Seq] = true
	c.nDecided.Add(1)
	c.lastDecided = now
	sr.Decided++
	if !d.Accept {
		sr.Rejected++
	}
	if d.Alert && sr.FirstAlert == 0 {
		sr.FirstAlert = int(d.Seq) + 1
	}
	if !d.Redelivered {
		c.latency.Add(now.Sub(d.Sent))
		c.service.Add(time.Duration(d.ServiceNanos))
	}
}

// await waits until cond holds (checked with c.mu held, after each message
// received) or ctx ends.
func (c *collector) await(ctx context.Context, cond func() bool) error {
	for {
		c.mu.Lock()
		if cond() {
			c.mu.Unlock()
			return nil
		}
		if c.wake == nil {
			c.wake = make(chan struct{})
		}
		wake := c.wake
		c.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// reached reports whether every reader has read up to ends (partition to
// offset); c.mu is held.
func (c *collector) reached(ends map[int]int64) bool {
	for p, end := range ends {
		if pos, ok := c.pos[p]; ok && pos < end {
			return false
		}
	}
	return true
}
