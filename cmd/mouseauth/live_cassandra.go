package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"strconv"
	"strings"

	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/cassandra"
)

// parseReplication reads --replication: SimpleStrategy:N or
// NetworkTopologyStrategy:dc1=N,dc2=M.
func parseReplication(s string) (strategy string, factor int, dcs map[string]int, err error) {
	strategy, rest, _ := strings.Cut(s, ":")
	switch strategy {
	case "SimpleStrategy":
		factor = 1
		if rest != "" {
			if factor, err = strconv.Atoi(rest); err != nil || factor < 1 {
				return "", 0, nil, fmt.Errorf("--replication %q: SimpleStrategy:N with N >= 1", s)
			}
		}
	case "NetworkTopologyStrategy":
		dcs = map[string]int{}
		for _, kv := range strings.Split(rest, ",") {
			dc, n, ok := strings.Cut(kv, "=")
			f, err := strconv.Atoi(n)
			if !ok || dc == "" || err != nil || f < 1 {
				return "", 0, nil, fmt.Errorf("--replication %q: NetworkTopologyStrategy:dc1=N,dc2=M", s)
			}
			dcs[dc] = f
		}
	default:
		return "", 0, nil, fmt.Errorf("--replication %q: SimpleStrategy:N or NetworkTopologyStrategy:dc1=N,...", s)
	}
	return strategy, factor, dcs, nil
}

// openCassandra opens the Cassandra profile store, creating the keyspace
// and tables if missing.
func openCassandra(ctx context.Context, o *DeployOptions, cfg *tls.Config) (store.Profiles, error) {
	strategy, factor, dcs, err := parseReplication(o.Replication)
	if err != nil {
		return nil, err
	}
	return cassandra.Open(ctx, cassandra.Config{Hosts: o.Cassandra, Keyspace: o.Keyspace, Replication: strategy,
		Factor: factor, DCFactors: dcs, TLS: cfg, CreateSchema: true})
}
