package embedded

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/mouseauth/mouseauth/live/store/internal/sqlstore"
)

// Store is the embedded store; it implements store.Profiles and
// store.Credentials.
type Store struct{ *sqlstore.Store }

// Open opens (creating if needed) the database file at path.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	q := url.Values{}
	// WAL lets readers run beside the writer; synchronous=NORMAL in WAL mode
	// survives a process crash (only a power loss can drop the last commits).
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(OFF)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("embedded store %s: %w", path, err)
	}
	// SQLite has one writer at a time; one connection serialises writes in
	// Go instead of through busy retries.
	db.SetMaxOpenConns(1)
	s, err := sqlstore.New(ctx, db, sqlstore.SQLite, true)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("embedded store %s: %w", path, err)
	}
	return &Store{s}, nil
}
