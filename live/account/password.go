package account

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id cost parameters. The defaults are OWASP's
// second recommended set (19 MiB, 2 passes, 1 lane).
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultArgon2 is used by [HashPassword].
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// HashPassword returns the PHC-format argon2id hash of password with a
// random 16-byte salt: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
func HashPassword(password string, p Argon2Params) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrBadHash: a stored hash is not an argon2id PHC string.
var ErrBadHash = errors.New("stored password hash is not argon2id")

// VerifyPassword reports whether password matches the encoded hash, in
// constant time.
func VerifyPassword(password, encoded string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// HashCost returns what verifying a password against encoded costs, in
// verifications with [DefaultArgon2] (memory × passes × lanes): 1 for
// the defaults, about 0.002 for the 64 KiB single pass of load tests. A
// hash that is not argon2id costs 0 (VerifyPassword refuses it unchecked).
func HashCost(encoded string) float64 {
	p, _, _, err := decodeHash(encoded)
	if err != nil {
		return 0
	}
	d := DefaultArgon2
	return float64(p.Memory) * float64(p.Time) * float64(p.Threads) / (float64(d.Memory) * float64(d.Time) * float64(d.Threads))
}

// decodeHash parses a PHC-format argon2id hash, refusing parameters
// outside what this package would ever write (ErrBadHash).
func decodeHash(encoded string) (p Argon2Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, ErrBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, ErrBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, ErrBadHash
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 || p.Memory > 1<<22 || p.Time < 1 || p.Time > 100 || p.Threads < 1 || p.Threads > 64 {
		return p, nil, nil, ErrBadHash
	}
	return p, salt, key, nil
}
