package main

import (
	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/cluster"
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

// replayCommand is the replay that 'live serve' prints for its embedded
// broker: synthetic users, a vector every 10 ms, 30 per session, so it
// ends in seconds rather than at a person's pace.
func replayCommand(broker, pkiDir, state string) []string {
	return []string{"mouseauth", "replay", "--brokers", broker, "--pki-dir", pkiDir, "--state", state, "--no-service",
		"--sasl-user", cluster.UserReplay, "--sasl-password-file", cluster.PasswordPath(state, cluster.UserReplay),
		"--users", "4", "--interval", "10ms", "--max-actions", "30"}
}
