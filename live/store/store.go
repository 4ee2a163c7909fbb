package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Errors the backends return; check them with errors.Is.
var (
	// ErrNotFound: no such model, session, decision or credential.
	ErrNotFound = errors.New("not found")
	// ErrVersionExists: a model with this user and version is already stored.
	ErrVersionExists = errors.New("model version already exists")
	// ErrSchema: the database holds tables of another mouseauth version
	// that Open could not (or was not allowed to) bring up to date.
	ErrSchema = errors.New("schema of another version")
)

// Model is a serialised classify model (classify.Save bytes) of one user.
// Versions start at 1 and grow by one with each retraining.
type Model struct {
	User    string
	Version int
	Data    []byte
	Created time.Time
	// Vectors is the number of the user's vectors stored when it was trained
	// (0 for a model imported from `classify train`).
	Vectors int64
}

// Vector is one feature vector received from a client.
type Vector struct {
	User, Session string
	Seq           int64     // position of the action in its session, from 0
	At            time.Time // when the service received it
	Values        []float64 // preprocess.FeatureNames order
}

// Decision is the service's verdict after scoring one vector: what the
// decision rule (package decide) said, and what a restarted scorer needs
// to continue the session's verdicts exactly where they stopped.
type Decision struct {
	User, Session string
	Seq           int64
	Score         float64 // this action's score (probability it is the user's), as the model gave it
	// Statistic is the decision rule's statistic after this action: the
	// sequential rule's trust, or the window rule's aggregate of its
	// window (0 before the window is full). Column "mean", from when it
	// was the window's mean.
	Statistic float64
	// Window is the window rule's scores held after this action (at most
	// its N); 0 under the sequential rule, which has no window.
	Window int
	// Threshold is the score an action must reach to count for the user:
	// the window rule's threshold, or under the sequential rule the score
	// whose log-odds are its bias.
	Threshold float64
	Accept    bool
	Alert     bool // this decision raised the session's alert
	// Judged: the decision rule had enough of the session to judge this
	// action (always under the sequential rule; the window rule: a full
	// window). False in rows stored before the field existed, which are
	// then never trained on.
	Judged bool
	// Flags say why the action counted against its session (decide.Flags:
	// 1 implausible, 2 novel, 4 repeated); 0 when none. With Score they
	// give the score the rule counted (decide.Effective).
	Flags        int
	ModelVersion int
	At           time.Time
}

// LabeledVector is a stored vector with what the service decided about
// it: for retraining, which trains only on vectors that were judged,
// accepted and confident in sessions that raised no alert, and for its
// regression check, which holds back the vectors of alerted sessions.
type LabeledVector struct {
	Vector
	Decision Decision // the stored decision of (User, Session, Seq); valid when Decided
	Decided  bool
	// SessionAlerted: the vector's session raised an alert ([Session.Alerted]).
	SessionAlerted bool
}

// SampleRun is how many consecutive stored vectors [Profiles.SampleVectors]
// reads from each place it picks.
const SampleRun = 16

// Session is one login.
type Session struct {
	ID, User string
	Client   string // client address as sent in the login
	Accepted bool   // first factor passed
	Reason   string // why it was rejected, empty when accepted
	// Alerted: the second factor raised an alert in this session. It is
	// sticky: MarkAlerted sets it and nothing clears it.
	Alerted bool
	Started time.Time
	// Key is the session's MAC key as the service stores it (sealed by the
	// service; the store keeps opaque bytes, nil when there is none).
	Key []byte
}

// Credential is a user's first factor. Hash is an encoded argon2id hash
// (live/account.HashPassword); the plain password is never stored.
type Credential struct {
	User, Department string
	Hash             string
	// Failures counts the user's consecutive failed logins from every
	// client (reset by an accepted login); LastFailure is the latest
	// (zero when none). The service derives its per-user backoff from
	// them; the per-client counts are [ClientFailures].
	Failures    int
	LastFailure time.Time
}

// ClientFailures is the first factor's record of one user on one client
// (the client a login names): how many consecutive logins from it failed,
// the latest failure and the latest accepted login. A pair with no row
// reads as the zero record.
type ClientFailures struct {
	User, Client string
	Failures     int       // consecutive failed logins from this client
	LastFailure  time.Time // zero: none
	LastSuccess  time.Time // the latest accepted login from this client; zero: none
}

// Models stores trained models. The file store implements only this.
type Models interface {
	// PutModel stores m; ErrVersionExists if (m.User, m.Version) is taken.
	PutModel(ctx context.Context, m Model) error
	// LatestModel returns the highest version of user's model, or ErrNotFound.
	LatestModel(ctx context.Context, user string) (Model, error)
	// ModelUsers lists the users with at least one model, sorted.
	ModelUsers(ctx context.Context) ([]string, error)
	Close() error
}

// Profiles stores everything the scoring service writes per user.
type Profiles interface {
	Models
	// Decision returns the stored decision for (user, session, seq).
	Decision(ctx context.Context, user, session string, seq int64) (Decision, error)
	// RecentDecisions returns up to n decisions of the session with
	// Seq < before, in ascending Seq order.
	RecentDecisions(ctx context.Context, user, session string, before int64, n int) ([]Decision, error)
	// RecentVectors returns up to n vectors of the session with
	// Seq < before, in ascending Seq order (the last n of them).
	RecentVectors(ctx context.Context, user, session string, before int64, n int) ([]Vector, error)
	// Vectors returns up to limit of the user's vectors from sessions that
	// raised no alert, newest sessions first (for retraining).
	Vectors(ctx context.Context, user string, limit int) ([]Vector, error)
	// LabeledVectors returns up to limit of user's vectors, each with its
	// stored decision and its session's alert flag: those of sessions that
	// raised an alert when alerted is true, else those of the other
	// sessions, newest sessions first (by Session.Started), then by session
	// id and seq. A vector whose session is not stored is left out (the
	// service stores none). It reads only user's rows.
	LabeledVectors(ctx context.Context, user string, alerted bool, limit int) ([]LabeledVector, error)
	// SampleVectors returns up to n stored vectors of sessions that raised
	// no alert, of any users, without reading every user's: from places
	// in the store's key or insertion order drawn from seed, up to
	// SampleRun consecutive vectors each, no vector twice (see [Sample]).
	// The same seed over the same stored rows gives the same sample, in
	// the same order. Fewer than n come back when the store holds not many
	// more than n.
	SampleVectors(ctx context.Context, seed int64, n int) ([]Vector, error)
	// Counts returns how many vectors and decisions of user are stored.
	Counts(ctx context.Context, user string) (vectors, decisions int64, err error)
	// PutBatch writes a fetched batch's vectors and decisions durably
	// (group commit). Each vector and decision is stored unless its
	// (User, Session, Seq) is stored already, so a redelivery never
	// replaces the first write; insertedVectors[i] and insertedDecisions[i]
	// report which.
	// A key that appears twice in one call is stored at its first
	// occurrence and reported not inserted at the others. Under concurrent
	// calls with overlapping keys each key is reported inserted exactly
	// once, by the call whose values are stored.
	//
	// The SQL stores write everything in one transaction: an error before
	// the commit stores nothing (one during it may have stored all, its
	// answer lost). The Cassandra store writes one batch per user and table and
	// on error may have stored part of the call. Either way a caller retries
	// the whole call after an error; keys stored by the failed attempt are
	// then reported not inserted (as for a redelivery: their stored
	// decision is the one to publish). On success everything is durable.
	PutBatch(ctx context.Context, vectors []Vector, decisions []Decision) (insertedVectors, insertedDecisions []bool, err error)
	// CreateSession stores s unless a session with its (User, ID) exists
	// (first write wins, even between concurrent callers). It returns
	// whether s was stored and the session now stored: s, or the earlier
	// one, which s never replaces. A service creates sessions for accepted
	// logins only: a refused login that stored one would take its id from
	// the genuine login that comes later.
	CreateSession(ctx context.Context, s Session) (created bool, stored Session, err error)
	// MarkAlerted sets the session's Alerted flag (idempotent; it is never
	// cleared). ErrNotFound when there is no such session.
	MarkAlerted(ctx context.Context, user, id string) error
	// Session returns the session with this user and id.
	Session(ctx context.Context, user, id string) (Session, error)
}

// Credentials stores the first factor: password hashes and the failure
// counts the service's backoff is derived from. Counts change only by
// atomic operations of the store, so concurrent logins from any number of
// workers or instances each count once.
type Credentials interface {
	// PutCredential creates or replaces c (its per-client records stay).
	PutCredential(ctx context.Context, c Credential) error
	// Credential returns user's credential, or ErrNotFound.
	Credential(ctx context.Context, user string) (Credential, error)
	// RecordFailure counts one failed login of user from client, in the
	// user's count and in the (user, client) pair's, and sets both last
	// failures to now (never earlier than they were). It returns both
	// records as they are after the change. ErrNotFound when user has no
	// credential (nothing is stored then).
	RecordFailure(ctx context.Context, user, client string, now time.Time) (Credential, ClientFailures, error)
	// RecordSuccess records an accepted login of user from client: the
	// user's count and the pair's go to 0 and the pair's LastSuccess to
	// now (never earlier than it was). ErrNotFound when user has no
	// credential.
	RecordSuccess(ctx context.Context, user, client string, now time.Time) error
	// ClientFailures returns the (user, client) record; the zero record
	// (with User and Client set) when none is stored.
	ClientFailures(ctx context.Context, user, client string) (ClientFailures, error)
	// Lockouts lists the records with failures: every user whose count is
	// not 0 (Client "") and every pair whose count is not 0, by user and
	// client.
	Lockouts(ctx context.Context) ([]ClientFailures, error)
	// Unlock clears failure counts: of the (user, client) pair, or, with
	// client "", the user's own and every pair of the user's.
	// ErrNotFound when user has no credential.
	Unlock(ctx context.Context, user, client string) error
	Close() error
}

// EncodeValues packs a vector as little-endian float64s, so it round-trips
// exactly in every backend.
func EncodeValues(v []float64) []byte {
	out := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(out[8*i:], math.Float64bits(x))
	}
	return out
}

// DecodeValues is the inverse of EncodeValues.
func DecodeValues(p []byte) ([]float64, error) {
	if len(p)%8 != 0 {
		return nil, fmt.Errorf("vector blob of %d bytes is not a whole number of float64s", len(p))
	}
	out := make([]float64, len(p)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(p[8*i:]))
	}
	return out, nil
}

// Sample draws a sample for the backends' SampleVectors: read returns the
// run of vectors at a place it draws with r (a PCG stream of seed); Sample
// keeps each vector's first occurrence, in order, until n are kept. It
// stops sooner when the draws stop finding new vectors (the store holds
// few more than it has): after 4·(n/SampleRun + 1) draws, or when the last
// 16 draws found fewer than SampleRun new ones between them.
func Sample(seed int64, n int, read func(r *rand.Rand) ([]Vector, error)) ([]Vector, error) {
	type key struct {
		user, session string
		seq           int64
	}
	const window = 16
	r := rand.New(rand.NewPCG(uint64(seed), 0x5a3b1e))
	seen := map[key]bool{}
	var out []Vector
	var found [window]int // new vectors of the last draws, a ring
	recent := 0           // their sum
	for draws := 0; len(out) < n && draws < 4*(n/SampleRun+1); draws++ {
		run, err := read(r)
		if err != nil {
			return nil, err
		}
		added := 0
		for _, v := range run {
			k := key{v.User, v.Session, v.Seq}
			if !seen[k] && len(out) < n {
				seen[k] = true
				out = append(out, v)
				added++
			}
		}
		recent += added - found[draws%window]
		found[draws%window] = added
		if draws >= window && recent < SampleRun {
			break
		}
	}
	return out, nil
}
