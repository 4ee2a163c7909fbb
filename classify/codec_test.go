package classify

import "testing"

// TestTags: the tag numbers are those the format documents.
func TestTags(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ got, want int }{
		{tagLeafSmall, 2}, {tagLeafNibbles, 29}, {tagLeafBytes, 30}, {tagLeaf64, 31}, {tagSplit64, 32},
		{tagSplitShort, 33}, {maxShortFeature, 74}, {tagSplitShort + 3*maxShortFeature - 1, 254},
	} {
		if c.got != c.want {
			t.Errorf("tag %d, want %d", c.got, c.want)
		}
	}
	if smallFractions[0] != [2]uint8{1, 2} || smallFractions[26] != [2]uint8{8, 9} || smallIndex[8][9] != 27 {
		t.Errorf("small fractions %v", smallFractions)
	}
}
