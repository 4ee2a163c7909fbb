# Sourced by the before/after scripts (preset-ab.sh, saturation-ab.sh,
# store-ab.sh): one way to build the two sides they alternate.
#
# ab_build ROOT BASE WORK GO-COMMAND... builds the tree at BASE (a git ref,
# exported with git archive into WORK/base-src) into WORK/before and the
# work tree at ROOT into WORK/after, each with `go GO-COMMAND... -o OUT`
# followed by nothing else: the package goes last, as in
#   ab_build "$root" "$base" "$work" build ./cmd/mouseauth
#   ab_build "$root" "$base" "$work" test -c ./live/store/embedded
ab_build() {
	local root=$1 base=$2 work=$3
	shift 3
	local pkg=${*: -1} args=("${@:1:$#-1}")
	mkdir -p "$work/base-src"
	git -C "$root" archive "$base" | tar -x -C "$work/base-src"
	(cd "$work/base-src" && go "${args[@]}" -o "$work/before" "$pkg")
	(cd "$root" && go "${args[@]}" -o "$work/after" "$pkg")
}
