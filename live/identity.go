package live

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/pki"
)

// Client identities.
//
// Every login names the client identity that sends it (wire format 3): the
// login carries the identity's certificate and is signed with its key. The
// service accepts a login only if the certificate is a client identity of
// its CA (Config.ClientCAs) valid now, the signature verifies, and the
// certificate's binding names the login's user (pki.Binding); a login for
// another user is refused before the password is checked, so it costs no
// argon2id and counts no failure against the user. The session's decisions
// go to the identity's decision topic (topics.Names.DecisionsFor), which
// only that identity (and the operators) may read; an identity bound to
// every user (the shared replay identity) is answered on the shared topic.
// A version 2 login, which names no identity, is dead-lettered.

// Login results of the identity checks, the logins metric's result label
// (besides those of auth.go).
const (
	// LoginNotBound: the client identity may not act for the user.
	LoginNotBound = "client not bound to user"
)

// identities verifies client certificates against the CA, remembering
// the ones it verified until they expire, so a client's logins after its
// first cost one signature check and no chain verification.
type identities struct {
	mu    sync.Mutex
	known map[[sha256.Size]byte]pki.Identity
}

// maxIdentities bounds the verified certificates remembered; beyond it
// the memory is emptied and fills again.
const maxIdentities = 4096

func newIdentities() *identities { return &identities{known: map[[sha256.Size]byte]pki.Identity{}} }

// errNoRoute wraps a login whose identity has no decision topic.
var errNoRoute = errors.New("no decision topic")

// verify returns the client identity of a login, checked as described
// above, with the error's dead-letter class: "unsigned" (version 2),
// "bad identity" (not a client identity of the CA, or expired), "bad
// signature".
func (s *Service) verifyIdentity(sl wire.SealedLogin, now time.Time) (pki.Identity, string, error) {
	if sl.Version != wire.Version3 {
		err := sl.VerifySignature(nil) // ErrUnsigned
		return pki.Identity{}, wire.ErrorClass(err), err
	}
	sum := sha256.Sum256(sl.Cert)
	ids := s.identities
	ids.mu.Lock()
	id, ok := ids.known[sum]
	ids.mu.Unlock()
	if !ok || now.After(id.Cert.NotAfter) || now.Before(id.Cert.NotBefore) {
		if s.cfg.ClientCAs == nil {
			// x509 would fall back on the system's roots: never.
			return pki.Identity{}, "bad identity", fmt.Errorf("%w: this scorer has no CA for client identities (Config.ClientCAs)", pki.ErrIdentity)
		}
		var err error
		if id, err = pki.VerifyIdentity(s.cfg.ClientCAs, sl.Cert, now); err != nil {
			return pki.Identity{}, "bad identity", err
		}
		ids.mu.Lock()
		if len(ids.known) >= maxIdentities {
			clear(ids.known)
		}
		ids.known[sum] = id
		ids.mu.Unlock()
	}
	if err := sl.VerifySignature(id.Cert); err != nil {
		return pki.Identity{}, wire.ErrorClass(err), err
	}
	return id, "", nil
}

// routeOf is the decision topic of an identity's sessions.
func (s *Service) routeOf(id pki.Identity) string {
	if id.Binding.AnyUser {
		return s.cfg.Topics.Decisions
	}
	return s.cfg.Topics.DecisionsFor(id.Name)
}
