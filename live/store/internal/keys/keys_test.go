package keys

import (
	"reflect"
	"testing"

	"github.com/mouseauth/mouseauth/live/store"
)

func TestUnique(t *testing.T) {
	t.Parallel()
	vs := []store.Vector{
		{User: "b", Session: "s", Seq: 1}, // 0
		{User: "a", Session: "s", Seq: 2}, // 1
		{User: "b", Session: "s", Seq: 1}, // 2: repeats 0
		{User: "a", Session: "r", Seq: 9}, // 3
		{User: "a", Session: "s", Seq: 2}, // 4: repeats 1
		{User: "a", Session: "s", Seq: 1}, // 5
	}
	if got, want := Unique(vs), []int{3, 5, 1, 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Unique = %v, want %v (key order, first occurrences)", got, want)
	}
	if got := Unique([]store.Decision(nil)); len(got) != 0 {
		t.Fatalf("Unique(nil) = %v", got)
	}
}

func BenchmarkUnique(b *testing.B) {
	vs := make([]store.Vector, 256)
	for i := range vs {
		vs[i] = store.Vector{User: string(rune('a' + i%26)), Session: "s", Seq: int64(255 - i)}
	}
	b.ReportAllocs()
	for b.Loop() {
		Unique(vs)
	}
}
