package wire

import (
	"crypto/hpke"
	"encoding/binary"
	"strings"
	"time"
)

// loginJSON is the version 2 login on the wire: the clear fields routing
// needs, and the HPKE encapsulated key and ciphertext (base64).
type loginJSON struct {
	V       int       `json:"v"`
	Kind    string    `json:"kind"`
	User    string    `json:"user"`
	Session string    `json:"session"`
	Client  string    `json:"client"`
	Sent    time.Time `json:"sent"`
	KeyID   string    `json:"kid"`
	Enc     []byte    `json:"enc"`
	CT      []byte    `json:"ct"`
}

// Sizes of the sealed part.
const (
	// loginPad: the sealed plaintext is padded with zeros to a multiple of
	// 64 bytes, so a ciphertext tells the length of no password under 30
	// bytes.
	loginPad      = 64
	loginPlainMin = loginPad
	loginPlainMax = (SessionKeySize + 2 + MaxPassword + loginPad - 1) / loginPad * loginPad
	hpkeEncSize   = 32 // X25519 public key
	aeadTagSize   = 16 // AES-128-GCM
)

// SealedLogin is a decoded version 2 login before it is opened: the clear
// fields, which are what the sealed part is bound to.
type SealedLogin struct {
	User, Session, Client string
	Sent                  time.Time
	KeyID                 KeyID
	enc, ct               []byte
}

// loginAAD returns the AEAD associated data of a login:
//
//	'M' 0x02 'L' || kid (8 bytes) || uint16 len, user || uint16 len, session
//	|| uint16 len, client || int64 sent (Unix ns)
//
// big-endian. It binds the sealed password and session key to this user,
// session, client, send time, scorer key and format version.
func loginAAD(kid KeyID, user, session, client string, sent int64) []byte {
	b := make([]byte, 0, 3+KeyIDSize+6+len(user)+len(session)+len(client)+8)
	b = append(b, Magic, Version2, byte(KindLogin))
	b = append(b, kid[:]...)
	b = appendStr16(b, user)
	b = appendStr16(b, session)
	b = appendStr16(b, client)
	return binary.BigEndian.AppendUint64(b, uint64(sent))
}

// loginPlaintext returns what a login seals:
//
//	session key (32 bytes) || uint16 len, password || zeros to a multiple of 64 bytes
func loginPlaintext(key SessionKey, password string) []byte {
	n := (SessionKeySize + 2 + len(password) + loginPad - 1) / loginPad * loginPad
	b := make([]byte, 0, n)
	b = append(b, key[:]...)
	b = appendStr16(b, password)
	return b[:n] // the capacity's bytes are zeros
}

func checkLoginClear(user, session, client string) error {
	if err := checkNames2(user, session); err != nil {
		return err
	}
	return checkText("client", client, 0, MaxName)
}

// SealLogin seals l (its Password, and a fresh session key it generates)
// to the scorer's public key and returns the version 2 login and that key.
// The client keeps the key for the session: it signs the session's vectors
// ([SignVector]) and verifies its decisions ([SignedDecision.Verify]). To
// resend a login (a write that may have failed), resend the same bytes: a
// new seal carries a new key, which the scorer refuses for a session it
// knows. l.Key is ignored.
func SealLogin(pub *PublicKey, l Login) ([]byte, SessionKey, error) {
	key := NewSessionKey()
	p, err := sealLogin(pub, l, key)
	if err != nil {
		return nil, SessionKey{}, err
	}
	return p, key, nil
}

func sealLogin(pub *PublicKey, l Login, key SessionKey) ([]byte, error) {
	if err := checkLoginClear(l.User, l.Session, l.Client); err != nil {
		return nil, err
	}
	if len(l.Password) > MaxPassword {
		return nil, tooLarge("password of %d bytes (at most %d)", len(l.Password), MaxPassword)
	}
	sent, err := nanos("sent", l.Sent)
	if err != nil {
		return nil, err
	}
	kdf, aead := suite()
	enc, sender, err := hpke.NewSender(pub.pk, kdf, aead, []byte(HPKEInfo))
	if err != nil {
		return nil, err
	}
	pt := loginPlaintext(key, l.Password)
	ct, err := sender.Seal(loginAAD(pub.id, l.User, l.Session, l.Client, sent), pt)
	clear(pt)
	if err != nil {
		return nil, err
	}
	return marshalJSON(loginJSON{V: Version2, Kind: kindNameLogin, User: l.User, Session: l.Session, Client: l.Client,
		Sent: l.Sent.UTC(), KeyID: pub.id.String(), Enc: enc, CT: ct})
}

// ParseLogin decodes a version 2 login and checks its clear fields and the
// sizes of its sealed part. The clear fields are for routing and logs only
// until [OpenLogin] succeeds.
func ParseLogin(p []byte) (SealedLogin, error) {
	if err := expectKind(p, KindLogin, MaxLoginSize); err != nil {
		return SealedLogin{}, err
	}
	var j loginJSON
	if err := unmarshalStrict(p, KindLogin, &j); err != nil {
		return SealedLogin{}, err
	}
	if err := checkLoginClear(j.User, j.Session, j.Client); err != nil {
		return SealedLogin{}, err
	}
	if _, err := nanos("sent", j.Sent); err != nil {
		return SealedLogin{}, err
	}
	kid, err := parseKeyID(j.KeyID)
	if err != nil {
		return SealedLogin{}, malformed("login: %v", err)
	}
	if len(j.Enc) != hpkeEncSize {
		return SealedLogin{}, malformed("login enc of %d bytes (%d expected)", len(j.Enc), hpkeEncSize)
	}
	if n := len(j.CT) - aeadTagSize; n < loginPlainMin || n > loginPlainMax || n%loginPad != 0 {
		return SealedLogin{}, malformed("login ct of %d bytes (%d+%d to %d+%d, in steps of %d)", len(j.CT), loginPlainMin, aeadTagSize, loginPlainMax, aeadTagSize, loginPad)
	}
	return SealedLogin{User: j.User, Session: j.Session, Client: j.Client, Sent: j.Sent, KeyID: kid, enc: j.Enc, ct: j.CT}, nil
}

// OpenLogin opens a sealed login with the scorer key its key id names,
// among keys (the current key and any previous ones kept for rotation),
// and returns the login with its Password and session Key. Errors:
// [ErrUnknownKey] when no key has that id; [ErrBadSeal] when it does not
// open (forged, tampered with, moved to another user, session, client or
// send time); [ErrMalformed] when it opens but holds no valid payload.
func OpenLogin(s SealedLogin, keys ...*PrivateKey) (Login, error) {
	if s.enc == nil {
		return Login{}, malformed("login not decoded by ParseLogin")
	}
	var k *PrivateKey
	var held []string
	for _, c := range keys {
		if c == nil {
			continue
		}
		if c.ID() == s.KeyID {
			k = c
			break
		}
		held = append(held, c.ID().String())
	}
	if k == nil {
		return Login{}, errorf(ErrUnknownKey, "login of user %q, session %q is sealed to scorer key %s; this scorer holds %s",
			s.User, s.Session, s.KeyID, strings.Join(held, ", "))
	}
	sent, _ := nanos("sent", s.Sent) // checked by ParseLogin
	kdf, aead := suite()
	r, err := hpke.NewRecipient(s.enc, k.sk, kdf, aead, []byte(HPKEInfo))
	var pt []byte
	if err == nil {
		pt, err = r.Open(loginAAD(s.KeyID, s.User, s.Session, s.Client, sent), s.ct)
	}
	if err != nil {
		return Login{}, errorf(ErrBadSeal, "login of user %q, session %q does not open with scorer key %s (forged, tampered with, or moved from another user or session)",
			s.User, s.Session, s.KeyID)
	}
	defer clear(pt)
	l := Login{User: s.User, Session: s.Session, Client: s.Client, Sent: s.Sent}
	if len(pt) < SessionKeySize+2 || len(pt)%loginPad != 0 {
		return Login{}, malformed("sealed login payload of %d bytes", len(pt))
	}
	copy(l.Key[:], pt)
	n := int(binary.BigEndian.Uint16(pt[SessionKeySize:]))
	end := SessionKeySize + 2 + n
	switch {
	case n > MaxPassword:
		return Login{}, tooLarge("sealed password of %d bytes (at most %d)", n, MaxPassword)
	case end > len(pt):
		return Login{}, malformed("sealed password of %d bytes in a payload of %d", n, len(pt))
	case end+loginPad <= len(pt):
		return Login{}, malformed("sealed login padded beyond the next multiple of %d bytes", loginPad)
	case l.Key.IsZero():
		return Login{}, malformed("sealed login with an all-zero session key")
	}
	for _, c := range pt[end:] {
		if c != 0 {
			return Login{}, malformed("sealed login padding is not zeros")
		}
	}
	l.Password = string(pt[SessionKeySize+2 : end])
	return l, nil
}
