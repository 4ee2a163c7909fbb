package live

import (
	"sync"
	"time"

	"github.com/mouseauth/mouseauth/live/wire"
)

// freshSessions hands the sessions that this instance's logins just
// created to its vector workers, so that a session's first vector does not
// read back from the store what the login wrote a moment before (the
// session row, to unseal its key, and its decisions, of which a new
// session has none). At a cold start, with every user logging in at once,
// those reads queued behind the logins' writes and were most of the first
// vectors' latency.
//
// An entry is used only by a worker of the generation in which it was
// made (entry.at after the worker's start): within a generation the
// session's vectors are decided by that worker alone. If another instance
// decided some of them anyway (the partition's previous owner, finishing
// its last batch during a rebalance), the batch's write reports them not
// inserted and the worker rebuilds the session from the store, as it
// does for any state that is behind the store.
type freshSessions struct {
	mu   sync.Mutex
	m    map[[2]string]freshSession
	puts int
}

type freshSession struct {
	key   wire.SessionKey
	route string // the decision topic
	at    time.Time
}

const (
	// freshTTL is how long an entry waits for its session's first vector.
	freshTTL = time.Minute
	// maxFresh bounds the entries; beyond it a session's first vector
	// reads the store as before.
	maxFresh = 1 << 17
)

func newFreshSessions() *freshSessions { return &freshSessions{m: map[[2]string]freshSession{}} }

// put records that this instance created the session (user, id) with key
// and route at now.
func (f *freshSessions) put(user, id string, key wire.SessionKey, route string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.puts++; f.puts%1024 == 0 || len(f.m) >= maxFresh {
		for k, e := range f.m {
			if now.Sub(e.at) > freshTTL {
				delete(f.m, k)
			}
		}
	}
	if len(f.m) < maxFresh {
		f.m[[2]string{user, id}] = freshSession{key: key, route: route, at: now}
	}
}

// take removes and returns the entry of (user, id) if it was made after
// since and within freshTTL of now.
func (f *freshSessions) take(user, id string, since, now time.Time) (freshSession, bool) {
	k := [2]string{user, id}
	f.mu.Lock()
	e, ok := f.m[k]
	if ok {
		delete(f.m, k)
	}
	f.mu.Unlock()
	if !ok || e.at.Before(since) || now.Sub(e.at) > freshTTL {
		return freshSession{}, false
	}
	return e, true
}
