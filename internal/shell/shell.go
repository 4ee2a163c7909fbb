// Package shell quotes command lines that a program prints for people to
// run or paste back: the replay command of 'live serve', the command line
// in a report. It is hand-written (fifteen lines) rather than a
// dependency: only quoting, never parsing, is needed.
package shell

import "strings"

// Join joins args into a command line that a POSIX shell reads back
// as args, for commands a program prints for people to run: an argument
// with a character the shell would interpret (a space, $, *, a quote) is
// single-quoted.
func Join(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "" || strings.ContainsFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@%+", r))
		}) {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
