package keys

import (
	"cmp"
	"slices"

	"github.com/mouseauth/mouseauth/live/store"
)

// Key identifies a vector or a decision.
type Key struct {
	User, Session string
	Seq           int64
}

// Of returns the key of a vector or a decision.
func Of[T store.Vector | store.Decision](x T) Key {
	switch x := any(x).(type) {
	case store.Vector:
		return Key{x.User, x.Session, x.Seq}
	case store.Decision:
		return Key{x.User, x.Session, x.Seq}
	}
	panic("unreachable")
}

// Compare orders keys by user, session and seq.
func Compare(a, b Key) int {
	if c := cmp.Compare(a.User, b.User); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Session, b.Session); c != 0 {
		return c
	}
	return cmp.Compare(a.Seq, b.Seq)
}

// Unique returns the index of the first occurrence of each distinct key of
// xs, ordered by key (so concurrent writers lock rows in one order).
func Unique[T store.Vector | store.Decision](xs []T) []int {
	ks := make([]Key, len(xs))
	idx := make([]int, len(xs))
	for i, x := range xs {
		ks[i], idx[i] = Of(x), i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := Compare(ks[a], ks[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b) // the first occurrence first
	})
	return slices.CompactFunc(idx, func(a, b int) bool { return ks[a] == ks[b] })
}
