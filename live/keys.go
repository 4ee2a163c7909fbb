package live

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mouseauth/mouseauth/live/wire"
)

// StateKeySize is the size of [Keys.State]: an AES-256 key.
const StateKeySize = 32

// Keys are the service's secrets. Package live/deploy keeps them in the
// state folder (mode 0600) and creates them on first use; tests and
// benchmarks that run client and service in one process can use
// [GenerateKeys].
type Keys struct {
	// Scorer opens sealed logins: the current key first, then previous
	// keys kept while clients move to the current one (a login names the
	// key it is sealed to). Clients get Scorer[0].Public().
	Scorer []*wire.PrivateKey
	// State seals the session keys the profile store keeps (AES-256-GCM):
	// a copy of the store alone does not give the keys that MAC vectors
	// and decisions. StateKeySize bytes.
	State []byte
}

// GenerateKeys returns a fresh scorer key and state key, held in memory
// only: the store's session keys cannot be opened by another process.
func GenerateKeys() (Keys, error) {
	k, err := wire.GenerateKey()
	if err != nil {
		return Keys{}, err
	}
	state := make([]byte, StateKeySize)
	rand.Read(state)
	return Keys{Scorer: []*wire.PrivateKey{k}, State: state}, nil
}

// Public is the scorer public key clients seal their logins to.
func (k Keys) Public() *wire.PublicKey {
	if len(k.Scorer) == 0 {
		return nil
	}
	return k.Scorer[0].Public()
}

func (k Keys) validate() error {
	if len(k.Scorer) == 0 {
		return errors.New("live: no scorer key (Config.Keys.Scorer): logins are sealed to it")
	}
	for i, s := range k.Scorer {
		if s == nil {
			return fmt.Errorf("live: scorer key %d is nil", i)
		}
	}
	if len(k.State) != StateKeySize {
		return fmt.Errorf("live: state key of %d bytes, want %d (Config.Keys.State seals the stored session keys)", len(k.State), StateKeySize)
	}
	return nil
}

// keySealer seals session keys for the profile store with AES-256-GCM
// under the state key, with the session's decision topic (the route of its
// decisions, set by its login's client identity). The associated data
// binds a sealed key to its user and session, so a stored key copied to
// another session's row does not open, and the route cannot be changed in
// the store without the state key:
//
//	"mouseauth session key v3" 0x00 || uint16 len, user || uint16 len, session
//
// A sealed key is nonce (12 bytes, random) || ciphertext of (key (32) ||
// route) || tag (16). Keys sealed before routes existed (label v2, no
// route) still open, with the shared decision topic as their route.
type keySealer struct{ aead cipher.AEAD }

const (
	sessionKeyLabel   = "mouseauth session key v3\x00"
	sessionKeyLabelV2 = "mouseauth session key v2\x00"
)

func newKeySealer(stateKey []byte) (*keySealer, error) {
	block, err := aes.NewCipher(stateKey)
	if err != nil {
		return nil, fmt.Errorf("live: state key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &keySealer{aead: aead}, nil
}

func sessionKeyAAD(label, user, session string) []byte {
	b := make([]byte, 0, len(label)+4+len(user)+len(session))
	b = append(b, label...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(user)))
	b = append(b, user...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(session)))
	return append(b, session...)
}

// seal returns key sealed for (user, session), with the session's route
// (its decision topic, not empty: a sealed key with no route is one of
// version 2).
func (k *keySealer) seal(user, session string, key wire.SessionKey, route string) []byte {
	if route == "" {
		panic("live: a session key sealed without its route")
	}
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+wire.SessionKeySize+len(route)+k.aead.Overhead())
	rand.Read(nonce)
	plain := append(key[:], route...)
	defer clear(plain)
	return k.aead.Seal(nonce, nonce, plain, sessionKeyAAD(sessionKeyLabel, user, session))
}

// errSessionKey: a stored session key does not open under the state key
// (another state key, or a row tampered with or copied from another
// session).
var errSessionKey = errors.New("stored session key does not open under the state key")

// open returns the session key sealed for (user, session) and its route
// ("" for a key sealed before routes: the shared decision topic).
func (k *keySealer) open(user, session string, sealed []byte) (wire.SessionKey, string, error) {
	var key wire.SessionKey
	n := k.aead.NonceSize()
	label := sessionKeyLabel
	switch {
	case len(sealed) == n+wire.SessionKeySize+k.aead.Overhead():
		label = sessionKeyLabelV2
	case len(sealed) < n+wire.SessionKeySize+k.aead.Overhead():
		return key, "", fmt.Errorf("%w: %d bytes", errSessionKey, len(sealed))
	}
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], sessionKeyAAD(label, user, session))
	if err != nil {
		return key, "", errSessionKey
	}
	defer clear(plain)
	copy(key[:], plain)
	return key, string(plain[wire.SessionKeySize:]), nil
}
