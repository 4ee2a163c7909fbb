package cli

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// SplitList splits a comma-separated flag value, trimming spaces and
// dropping empty items.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseIntRange parses a comma-separated list of integers and ranges
// A:B (step 1) or A:B:S, e.g. "1,5,10:20:5" = 1 5 10 15 20. Values keep
// their order; duplicates are dropped.
func ParseIntRange(s string) ([]int, error) {
	var out []int
	add := func(v int) {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	for _, part := range SplitList(s) {
		f := strings.Split(part, ":")
		nums := make([]int, len(f))
		for i, x := range f {
			n, err := strconv.Atoi(strings.TrimSpace(x))
			if err != nil {
				return nil, fmt.Errorf("%q is not an integer", x)
			}
			nums[i] = n
		}
		switch len(nums) {
		case 1:
			add(nums[0])
		case 2, 3:
			step := 1
			if len(nums) == 3 {
				step = nums[2]
			}
			if step <= 0 || nums[1] < nums[0] {
				return nil, fmt.Errorf("range %q: want A:B[:S] with A <= B and S > 0", part)
			}
			for v := nums[0]; v <= nums[1]; v += step {
				add(v)
			}
		default:
			return nil, fmt.Errorf("range %q: want A:B[:S]", part)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no values in %q", s)
	}
	return out, nil
}

// ParseFloatRange parses a comma-separated list of numbers and ranges
// A:B:S (e.g. 0:1:0.05 = 0, 0.05, ..., 1). Range values are computed as
// A+i*S rounded to 12 decimals, so the end point is not lost to rounding.
func ParseFloatRange(s string) ([]float64, error) {
	var out []float64
	for _, part := range SplitList(s) {
		f := strings.Split(part, ":")
		nums := make([]float64, len(f))
		for i, x := range f {
			v, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%q is not a number", x)
			}
			nums[i] = v
		}
		switch len(nums) {
		case 1:
			out = append(out, nums[0])
		case 3:
			a, b, st := nums[0], nums[1], nums[2]
			if st <= 0 || b < a {
				return nil, fmt.Errorf("range %q: want A:B:S with A <= B and S > 0", part)
			}
			n := int(math.Floor((b-a)/st+1e-9)) + 1
			if n > 100000 {
				return nil, fmt.Errorf("range %q has %d values, at most 100000", part, n)
			}
			for i := range n {
				out = append(out, math.Round((a+float64(i)*st)*1e12)/1e12)
			}
		default:
			return nil, fmt.Errorf("range %q: want a number or A:B:S", part)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no values in %q", s)
	}
	return out, nil
}
