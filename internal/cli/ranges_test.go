package cli

import (
	"slices"
	"strings"
	"testing"
)

func TestParseIntRange(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in, err string
		want    []int
	}{
		{in: "1,5,10:20:5", want: []int{1, 5, 10, 15, 20}},
		{in: " 3 , 1:3 ", want: []int{3, 1, 2}},
		{in: "5:1", err: "A <= B"},
		{in: "1:9:0", err: "S > 0"},
		{in: "1:2:3:4", err: "want A:B[:S]"},
		{in: "x", err: "not an integer"},
		{in: " , ", err: "no values"},
	} {
		got, err := ParseIntRange(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%q: %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseFloatRange(t *testing.T) {
	t.Parallel()
	got, err := ParseFloatRange("0:1:0.05")
	if err != nil || len(got) != 21 || got[20] != 1 || got[1] != 0.05 || got[3] != 0.15 {
		t.Errorf("0:1:0.05 = %v, %v", got, err)
	}
	for in, want := range map[string]string{"NaN": "not a number", "0:1": "want a number or A:B:S", "1:0:0.1": "A <= B", "0:1e6:1e-3": "at most 100000"} {
		if _, err := ParseFloatRange(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", in, err, want)
		}
	}
}
