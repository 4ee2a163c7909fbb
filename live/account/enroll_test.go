package account

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/wire"
)

// putOnly records PutCredential calls; nothing else of the interface is
// used by Enroll without a model.
type putOnly struct {
	store.Credentials
	put []string
}

func (p *putOnly) PutCredential(_ context.Context, c store.Credential) error {
	p.put = append(p.put, c.User)
	return nil
}

// TestEnrollRefusesNamesTheWireRefuses: `live enroll` stored user names
// with control characters, which no login can carry (the message format
// refuses them): the user could never log in. Enroll now checks the name
// with the format's own function and stores nothing.
func TestEnrollRefusesNamesTheWireRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, user, want string }{
		{"escape", "ali\x1bce", "control character U+001B"},
		{"newline", "bob\n", "control character U+000A"},
		{"C1 next line", "eve\u0085", "control character U+0085"},
		{"tab", "a\tb", "control character U+0009"},
		{"delete", "x\x7f", "control character U+007F"},
		{"empty", "", "user of 0 bytes"},
		{"invalid UTF-8", "caf\xe9", "not valid UTF-8"},
		{"too long", strings.Repeat("u", wire.MaxName+1), "user of 257 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			creds := &putOnly{}
			_, err := Enroll(context.Background(), creds, nil, Enrolment{User: tc.user, Password: "pw", Argon2: &cheap})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, wire.ErrMalformed) {
				t.Fatalf("Enroll(%q): err = %v, want one saying %q", tc.user, err, tc.want)
			}
			if len(creds.put) != 0 {
				t.Fatalf("Enroll(%q) stored a credential", tc.user)
			}
			if wire.CheckUser(tc.user) == nil {
				t.Fatalf("the wire accepts %q, which enrolment refuses", tc.user)
			}
		})
	}
	creds := &putOnly{}
	for _, ok := range []string{"User1", "ü-ñ 名前", "x/y", "a b"} {
		if _, err := Enroll(context.Background(), creds, nil, Enrolment{User: ok, Password: "pw", Argon2: &cheap}); err != nil {
			t.Errorf("Enroll(%q): %v", ok, err)
		}
	}
	if len(creds.put) != 4 {
		t.Fatalf("stored %q", creds.put)
	}
}

func TestHashCost(t *testing.T) {
	t.Parallel()
	def, err := HashPassword("pw", DefaultArgon2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		hash string
		want float64
	}{
		{def, 1},
		{"$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", 64.0 / (19 * 1024 * 2)},
		{"$argon2id$v=19$m=38912,t=4,p=1$c2FsdA$aGFzaA", 4},
		{"$argon2id$v=19$m=19456,t=2,p=2$c2FsdA$aGFzaA", 2},
		{"plain", 0},
		{"$argon2id$v=19$m=64,t=0,p=1$c2FsdA$aGFzaA", 0},   // argon2 panics on 0 passes
		{"$argon2id$v=19$m=64,t=1,p=0$c2FsdA$aGFzaA", 0},   // and on 0 lanes
		{"$argon2id$v=19$m=64,t=1,p=300$c2FsdA$aGFzaA", 0}, // lanes beyond what we write
	} {
		if got := HashCost(tc.hash); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("HashCost(%s) = %v, want %v", tc.hash, got, tc.want)
		}
	}
	for _, bad := range []string{"$argon2id$v=19$m=64,t=0,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=64,t=1,p=0$c2FsdA$aGFzaA"} {
		if _, err := VerifyPassword("x", bad); !errors.Is(err, ErrBadHash) {
			t.Errorf("VerifyPassword with hash %q: err = %v, want ErrBadHash (not a panic)", bad, err)
		}
	}
}
