package bench

import (
	"context"
	"fmt"

	"github.com/mouseauth/mouseauth/live/wire"
)

// floodClients returns the flood's client, the pipeline's own identity (in
// the embedded pipeline the shared replay identity, which may act for
// every user: the attacker holds it), and each honest user's: a
// workstation identity bound to the user (p.Workstation), or, without
// one, the pipeline's identity too.
func floodClients(ctx context.Context, p Pipeline, users []string) (floodClient, map[string]floodClient, error) {
	shared, err := wire.NewClientSigner(p.Client.Certificates[0])
	if err != nil {
		return floodClient{}, nil, err
	}
	flood := floodClient{tls: p.Client, sasl: p.ClientSASL, decisions: p.Topics.Decisions,
		seal: func(l wire.Login) ([]byte, wire.SessionKey, error) { return wire.SealLogin(p.Keys.Public(), l, shared) }}
	honest := map[string]floodClient{}
	for _, u := range users {
		if p.Workstation == nil {
			honest[u] = flood
			continue
		}
		w, err := p.Workstation(ctx, "ws-"+u, []string{u})
		if err != nil {
			return floodClient{}, nil, fmt.Errorf("bench: workstation of %s: %w", u, err)
		}
		honest[u] = floodClient{tls: w.TLS, sasl: w.SASL, decisions: w.Decisions,
			seal: func(l wire.Login) ([]byte, wire.SessionKey, error) {
				return wire.SealLogin(p.Keys.Public(), l, w.Identity)
			}}
	}
	return flood, honest, nil
}
