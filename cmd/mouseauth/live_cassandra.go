package main

import (
	"context"
	"crypto/tls"
	"errors"

	"github.com/mouseauth/mouseauth/live/store"
)

// openCassandra opens the Cassandra profile store.
func openCassandra(ctx context.Context, o *DeployOptions, cfg *tls.Config) (store.Profiles, error) {
	return nil, errors.New("cassandra store: not wired yet")
}
