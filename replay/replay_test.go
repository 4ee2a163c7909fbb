package replay

import (
	"context"
	"encoding/hex"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store/embedded"
)

func TestSummarize(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	s := Summarize(d)
	if s.N != 100 || s.Min != 1 || s.Max != 100 || math.Abs(s.Mean-50.5) > 1e-9 || s.P50 != 50 || s.P99 != 99 {
		t.Fatalf("Summarize(1..100 ms) = %+v", s)
	}
	if s := Summarize(nil); s.N != 0 {
		t.Fatalf("Summarize(nil) = %+v", s)
	}
}

func TestSyntheticAndVectorize(t *testing.T) {
	us, err := Synthetic(context.Background(), 2, 2, 20, 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(us) != 2 || us[0].User != "User1" || len(us[0].Sessions) != 2 {
		t.Fatalf("users %+v", us)
	}
	for _, u := range us {
		for _, s := range u.Sessions {
			if len(s) < 10 {
				t.Fatalf("%s: %d vectors from 20 pointing actions (fewer than 10)", u.User, len(s))
			}
			for i := 1; i < len(s); i++ {
				if s[i].At < s[i-1].At || len(s[i].Values) != 39 {
					t.Fatalf("%s vector %d: at %v after %v, %d values", u.User, i, s[i].At, s[i-1].At, len(s[i].Values))
				}
			}
		}
	}
	again, _ := Synthetic(context.Background(), 2, 2, 20, 9)
	if again[1].Sessions[1][5].Values[7] != us[1].Sessions[1][5].Values[7] {
		t.Fatal("the same seed gave other vectors")
	}
}

func TestPlan(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	us, err := Synthetic(ctx, 3, 3, 20, 1)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := Plan(ctx, st, st, us, PlanOptions{Impostors: 4, MaxActions: 7, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	// 3 users × (3 sessions − 1 training) genuine, then 4 impostors.
	if len(ss) != 10 {
		t.Fatalf("%d sessions, want 10", len(ss))
	}
	victims := map[string]bool{}
	ids := map[string]bool{}
	for i, s := range ss {
		if b, err := hex.DecodeString(s.ID); err != nil || len(b) != 16 || ids[s.ID] {
			t.Errorf("session id %q: want 128 random bits in hex, unique (%v)", s.ID, err)
		}
		ids[s.ID] = true
		if len(s.Vectors) != 7 {
			t.Errorf("session %s: %d vectors, want --max-actions 7", s.ID, len(s.Vectors))
		}
		if s.Impostor() != (i >= 6) {
			t.Errorf("session %d %s: impostor %v", i, s.ID, s.Impostor())
		}
		if s.Impostor() {
			victims[s.User+">"+s.LoginAs] = true
		}
		if c, err := st.Credential(ctx, s.LoginAs); err != nil || strings.Contains(c.Hash, s.Password) {
			t.Fatalf("credential of %s: %v", s.LoginAs, err)
		}
	}
	if len(victims) != 3 {
		t.Errorf("impostor pairs %v: want them spread over the 3 users", victims)
	}
	for _, u := range us {
		if m, err := st.LatestModel(ctx, u.User); err != nil || m.Version != 1 {
			t.Fatalf("model of %s: v%d %v", u.User, m.Version, err)
		}
	}
	// A second plan never changes a stored password: without the users'
	// password it refuses; with it, the enrolled users keep their hash and
	// a new user is enrolled with it.
	before, err := st.Credential(ctx, "User1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Plan(ctx, st, st, us, PlanOptions{Now: time.Now()}); !errors.Is(err, ErrPasswordUnknown) || !strings.Contains(err.Error(), "User1, User2, User3") {
		t.Fatalf("a second plan without the password: %v", err)
	}
	more, err := Synthetic(ctx, 4, 3, 20, 1)
	if err != nil {
		t.Fatal(err)
	}
	ss, err = Plan(ctx, st, st, more, PlanOptions{Now: time.Now(), Password: "the users' password"})
	if err != nil {
		t.Fatal(err)
	}
	if after, err := st.Credential(ctx, "User1"); err != nil || after.Hash != before.Hash {
		t.Fatalf("User1's stored password changed (%v)", err)
	}
	if c, err := st.Credential(ctx, "User4"); err != nil {
		t.Fatal(err)
	} else if ok, err := account.VerifyPassword("the users' password", c.Hash); !ok || err != nil {
		t.Fatalf("User4 was not enrolled with the given password: %v", err)
	}
	for _, s := range ss {
		if s.Password != "the users' password" {
			t.Fatalf("session of %s planned with another password", s.LoginAs)
		}
	}
	if _, err := Plan(ctx, st, st, us[:1], PlanOptions{}); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("one user: %v", err)
	}
	short := append([]UserSessions(nil), us...)
	short[0].Sessions = short[0].Sessions[:1]
	if _, err := Plan(ctx, st, st, short, PlanOptions{}); err == nil || !strings.Contains(err.Error(), "at least 2 are needed") {
		t.Errorf("one session: %v", err)
	}
}

func TestSamplerMatchesSummarize(t *testing.T) {
	var d []time.Duration
	s := NewSampler(1)
	for i := 0; i < 5000; i++ {
		v := time.Duration((i*7919)%1000+1) * time.Microsecond
		d = append(d, v)
		s.Add(v)
	}
	a, b := Summarize(d), s.Summary()
	if a.N != b.N || math.Abs(a.Mean-b.Mean) > 1e-9 || math.Abs(a.Std-b.Std) > 1e-9 || a.Min != b.Min || a.Max != b.Max || a.P50 != b.P50 || a.P99 != b.P99 {
		t.Fatalf("below the reservoir size the sampler is exact:\nSummarize %+v\nSampler   %+v", a, b)
	}
	// Past the reservoir size memory stays bounded and quantiles stay close.
	big := NewSampler(2)
	for i := 0; i < 3*reservoirSize; i++ {
		big.Add(time.Duration(i%1000) * time.Millisecond)
	}
	if len(big.res) != reservoirSize {
		t.Fatalf("reservoir holds %d values", len(big.res))
	}
	if got := big.Summary(); math.Abs(got.P99-990) > 5 || math.Abs(got.P50-500) > 10 || got.Max != 999 {
		t.Fatalf("uniform 0..999 ms: %+v", got)
	}
}
