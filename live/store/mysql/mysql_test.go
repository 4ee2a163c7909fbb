package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	driver "github.com/go-sql-driver/mysql"

	"github.com/mouseauth/mouseauth/internal/testpki"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/storetest"
)

var dbSeq atomic.Int64

func TestMariaDB(t *testing.T) {
	t.Parallel()
	p := testpki.New(t)
	db := p.MariaDB(t)
	open := func(t *testing.T) *Store {
		s, err := Open(context.Background(), Config{
			DSN: fmt.Sprintf("scorer@tcp(%s)/mouseauth_t%d", db.Addr, dbSeq.Add(1)),
			TLS: p.Client(t, "scorer"), CreateSchema: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Run("Profiles", func(t *testing.T) {
		storetest.Profiles(t, func(t *testing.T) store.Profiles { return open(t) })
	})
	t.Run("Credentials", func(t *testing.T) {
		storetest.Credentials(t, func(t *testing.T) store.Credentials { return open(t) })
	})
	t.Run("OlderSchema", func(t *testing.T) {
		ctx := context.Background()
		cfg := Config{DSN: fmt.Sprintf("scorer@tcp(%s)/mouseauth_old", db.Addr), TLS: p.Client(t, "scorer"), CreateSchema: true}
		s, err := Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		// Turn the tables into an older version's: no session key, no
		// judged or flagged decisions, no vector positions.
		mc, err := cfg.validate()
		if err != nil {
			t.Fatal(err)
		}
		conn, err := driver.NewConnector(mc)
		if err != nil {
			t.Fatal(err)
		}
		raw := sql.OpenDB(conn)
		defer raw.Close()
		for _, q := range []string{
			`ALTER TABLE sessions DROP COLUMN mac_key`,
			`ALTER TABLE decisions DROP COLUMN judged`,
			`ALTER TABLE decisions DROP COLUMN flags`,
			`ALTER TABLE vectors DROP COLUMN pos`,
			`INSERT INTO sessions VALUES ('u', 'old', '10.0.0.1:1', 1, '', 0, 1700000000000)`,
			// The versions that locked an account for a fixed time: no
			// per-client failures, a user locked until 2100.
			`DROP TABLE login_failures`,
			`ALTER TABLE credentials DROP COLUMN last_failure`,
			`INSERT INTO credentials VALUES ('u', 'finance', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', 5, 4102444800000)`,
			`INSERT INTO vectors VALUES ('u', 'old', 0, 1700000000000, X'000000000000F03F')`,
			`INSERT INTO decisions VALUES ('u', 'old', 0, 0.9, 0.9, 10, 0.5, 1, 0, 1, 1700000000000)`,
		} {
			if _, err := raw.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		noCreate := cfg
		noCreate.CreateSchema = false
		if _, err := Open(ctx, noCreate); !errors.Is(err, store.ErrSchema) || !strings.Contains(err.Error(), "mac_key") {
			t.Fatalf("Open of an older schema without CreateSchema: err = %v, want ErrSchema naming mac_key", err)
		}
		s, err = Open(ctx, cfg)
		if err != nil {
			t.Fatalf("Open of an older schema with CreateSchema: %v", err)
		}
		defer s.Close()
		if got, err := s.Session(ctx, "u", "old"); err != nil || !got.Accepted || got.Key != nil {
			t.Fatalf("old session read back as %+v, %v", got, err)
		}
		if _, _, err := s.CreateSession(ctx, store.Session{ID: "new", User: "u", Key: []byte{1, 2}}); err != nil {
			t.Fatal(err)
		}
		// The migration numbered the vector stored before it, so a sample
		// finds it, and the old decision reads as not judged.
		if got, err := s.SampleVectors(ctx, 1, 10); err != nil || len(got) != 1 || got[0].Values[0] != 1 {
			t.Fatalf("SampleVectors after the migration = %+v, %v; want the old vector", got, err)
		}
		if d, err := s.Decision(ctx, "u", "old", 0); err != nil || d.Judged || d.Flags != 0 || !d.Accept || d.Window != 10 {
			t.Fatalf("old decision read back as %+v, %v", d, err)
		}
		storetest.OldCredential(t, s, "u")
		again, err := Open(ctx, noCreate)
		if err != nil {
			t.Fatalf("Open without CreateSchema after the migration: %v", err)
		}
		again.Close()
	})
	t.Run("WrongCertificate", func(t *testing.T) {
		// The replay certificate is from the same CA but has another
		// subject: the account must refuse it.
		_, err := Open(context.Background(), Config{DSN: fmt.Sprintf("scorer@tcp(%s)/mouseauth_x", db.Addr), TLS: p.Client(t, "replay")})
		if err == nil || !strings.Contains(err.Error(), "Access denied") {
			t.Fatalf("Open with another subject's certificate: err = %v, want access denied", err)
		}
	})
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no TLS", Config{DSN: "u@tcp(127.0.0.1:1)/db"}, "TLS configuration is required"},
		{"no database", Config{DSN: "u@tcp(127.0.0.1:1)/", TLS: testpki.New(t).Client(t, "scorer")}, "names no database"},
		{"bad DSN", Config{DSN: "u@tcp(127.0.0.1:1", TLS: testpki.New(t).Client(t, "scorer")}, "DSN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(context.Background(), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func BenchmarkWrites(b *testing.B) {
	p := testpki.New(b)
	db := p.MariaDB(b)
	storetest.Bench(b, func(b *testing.B) store.Profiles {
		s, err := Open(context.Background(), Config{DSN: fmt.Sprintf("scorer@tcp(%s)/mouseauth_bench", db.Addr), TLS: p.Client(b, "scorer"), CreateSchema: true})
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
