package pki

import (
	"crypto/x509"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestClientIdentity: a certificate issued with a binding names its users
// (any bytes a user name may hold, percent-encoded in its URI SANs) and
// verifies as a client identity of its CA; everything that is not one is
// refused with ErrIdentity, naming why.
func TestClientIdentity(t *testing.T) {
	ca, err := NewCA(CAOptions{Now: testNow, Subject: Subject{Organization: "mouseauth"}})
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	users := []string{"User1", "émilie", "x/y z", "a%2Fb", "mouseauth:any-user"}
	ws, err := ca.Issue(IssueRequest{Name: "ws1", Role: RoleClient, Now: testNow, Binding: &Binding{Users: users}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := VerifyIdentity(roots, ws.Cert.Raw, testNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if id.Name != "ws1" || id.Binding.AnyUser || !slices.Equal(id.Binding.Users, users) {
		t.Fatalf("identity %+v", id)
	}
	if !id.Binding.Allows("émilie") || id.Binding.Allows("User2") || id.Binding.Allows("") {
		t.Error("Allows disagrees with the users")
	}
	if info := Info("ws1", ws.Cert); info.Users != strings.Join(users, ",") {
		t.Errorf("Info.Users %q", info.Users)
	}
	any, err := ca.Issue(IssueRequest{Name: "replay", Role: RoleClient, Now: testNow, Binding: &Binding{AnyUser: true}})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := VerifyIdentity(roots, any.Cert.Raw, testNow); err != nil || !id.Binding.AnyUser || !id.Binding.Allows("anyone") {
		t.Fatalf("any-user identity: %+v %v", id, err)
	}

	foreign, err := NewCA(CAOptions{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	issue := func(ca *CA, r IssueRequest) []byte {
		t.Helper()
		if r.Now.IsZero() {
			r.Now = testNow
		}
		is, err := ca.Issue(r)
		if err != nil {
			t.Fatal(err)
		}
		return is.Cert.Raw
	}
	bound := &Binding{Users: []string{"User1"}}
	for _, tc := range []struct {
		name string
		der  []byte
		at   time.Time
		want string
	}{
		{"foreign CA", issue(foreign, IssueRequest{Name: "ws1", Role: RoleClient, Binding: bound}), testNow, "unknown authority"},
		{"expired", issue(ca, IssueRequest{Name: "ws1", Role: RoleClient, Binding: bound, Validity: time.Hour}), testNow.Add(2 * time.Hour), "expired"},
		{"no binding", issue(ca, IssueRequest{Name: "ws1", Role: RoleClient}), testNow, "names no users"},
		{"server certificate", issue(ca, IssueRequest{Name: "broker", Role: RoleServer, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}), testNow, "incompatible key usage"},
		{"RSA key", func() []byte {
			rsaCA, err := NewCA(CAOptions{Now: testNow, Algo: RSA2048})
			if err != nil {
				t.Fatal(err)
			}
			roots.AddCert(rsaCA.Cert)
			is, err := rsaCA.Issue(IssueRequest{Name: "ws1", Role: RoleClient, Now: testNow, Algo: RSA2048})
			if err != nil {
				t.Fatal(err)
			}
			return is.Cert.Raw
		}(), testNow, "client identities sign with ECDSA P-256"},
		{"common name unusable as a topic", issue(ca, IssueRequest{Name: "ws1", Subject: Subject{CommonName: "ws 1/x"}, Role: RoleClient, Binding: bound}), testNow, `common name "ws 1/x"`},
		{"not DER", []byte("garbage"), testNow, "x509"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyIdentity(roots, tc.der, tc.at)
			if !errors.Is(err, ErrIdentity) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrIdentity naming %q", err, tc.want)
			}
		})
	}

	if _, err := VerifyIdentity(nil, ws.Cert.Raw, testNow); !errors.Is(err, ErrIdentity) || !strings.Contains(err.Error(), "no CA") {
		t.Errorf("no roots (x509 would use the system's): %v", err)
	}
	for _, tc := range []struct {
		name string
		r    IssueRequest
		want string
	}{
		{"server role", IssueRequest{Name: "ws", Role: RoleServer, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Binding: bound}, "must have the client role"},
		{"RSA key", IssueRequest{Name: "ws", Role: RoleClient, Algo: RSA2048, Binding: bound}, "ECDSA P-256"},
		{"no users", IssueRequest{Name: "ws", Role: RoleClient, Binding: &Binding{}}, "no users"},
		{"a user twice", IssueRequest{Name: "ws", Role: RoleClient, Binding: &Binding{Users: []string{"a", "a"}}}, `user "a" twice`},
		{"control character", IssueRequest{Name: "ws", Role: RoleClient, Binding: &Binding{Users: []string{"a\nb"}}}, "control character"},
		{"any and a list", IssueRequest{Name: "ws", Role: RoleClient, Binding: &Binding{AnyUser: true, Users: []string{"a"}}}, "any user, and a list"},
		{"too many users", IssueRequest{Name: "ws", Role: RoleClient, Binding: &Binding{Users: func() []string {
			var u []string
			for i := range MaxBoundUsers + 1 {
				u = append(u, strings.Repeat("u", i+1))
			}
			return u
		}()}}, "users (at most"},
	} {
		t.Run("issue "+tc.name, func(t *testing.T) {
			tc.r.Now = testNow
			if _, err := ca.Issue(tc.r); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
