package main

import (
	"cmp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// NewCmdLive builds `mouseauth live`.
func NewCmdLive(f *cli.Factory) *cobra.Command {
	return group("live", "Run the live scoring service, enrol users, inspect stores",
		`  mouseauth live serve
  mouseauth classify train --features features.csv --out models
  mouseauth live enroll --user User1 --department finance --model models/User1.model --password-file pw.txt
  mouseauth live status
  mouseauth live status --lockouts
  mouseauth live unlock --user User1
  mouseauth live tail --from-beginning --no-follow`,
		newCmdLiveServe(f, nil), newCmdLiveEnroll(f, nil), newCmdLiveStatus(f, nil), newCmdLiveUnlock(f, nil))
}

// bundleCommands are what 'live serve' prints for its embedded broker: a
// client bundle for a workstation bound to users (up to four of the
// enrolled ones, or User1..User4), and replay from that bundle, with
// synthetic users, a vector every 10 ms, 30 a session, so it ends in
// seconds rather than at a person's pace.
func bundleCommands(state string, enrolled []string) (bundle, replay []string) {
	users := enrolled[:min(4, len(enrolled))]
	if len(users) == 0 {
		users = []string{"User1", "User2", "User3", "User4"}
	}
	bundle = []string{"mouseauth", "pki", "bundle", "--state", state, "--client", "ws1", "--bind-users", strings.Join(users, ","), "--out", "ws1"}
	replay = []string{"mouseauth", "replay", "--bundle", "ws1", "--password-file", "pw.txt",
		"--users", strconv.Itoa(len(users)), "--interval", "10ms", "--max-actions", "30"}
	return bundle, replay
}

// naturalCompare orders names with their digit runs compared as numbers
// (User2 before User10).
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitsPrefix(a), digitsPrefix(b)
		if da != "" && db != "" {
			na, nb := strings.TrimLeft(da, "0"), strings.TrimLeft(db, "0")
			if c := cmp.Or(cmp.Compare(len(na), len(nb)), strings.Compare(na, nb)); c != 0 {
				return c
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitsPrefix(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
