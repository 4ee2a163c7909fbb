package embedded

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/mouseauth/mouseauth/internal/safefs"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/internal/combine"
	"github.com/mouseauth/mouseauth/live/store/internal/sqlstore"
)

// CheckpointEvery is how often the background checkpointer copies the
// write-ahead log into the database file. A checkpoint copies the newest
// version of each page the log holds, once: at 10 000 users a user's last
// index pages are written again about every second, so a longer cadence
// copies fewer pages per vector (1 s against 250 ms: 7% fewer writes and
// 14% fewer reads of the file, BenchmarkPartitions under strace). A
// second of writes at 12 000 vectors/s is 25 000-30 000 frames, some
// 100-120 MB of log.
const CheckpointEvery = time.Second

// RestartFrames is the length of the write-ahead log, in frames (a page
// each, 4 KiB), over which the writer starts the log over (1 GiB). Under
// writes that never pause the log otherwise grows without end: at 12 000
// vectors/s, 115 MB/s, 3.5 GB in 30 s. Starting over costs the writer one
// short checkpoint (see checkpointer); a bound this large pays it about
// every 9 s at that rate.
const RestartFrames = 1 << 18

// WriteCacheKiB is the page cache of the write connection (SQLite's
// default is 2 000 KiB): a merged write of 512 vectors dirties over a
// thousand pages of the tables' indexes, and a cache that keeps them
// reads them less often again from the log (28% fewer reads in
// BenchmarkPartitions under strace).
const WriteCacheKiB = 16 << 10

// Readers is the number of connections that serve reads.
const Readers = 4

// Store is the embedded store; it implements store.Profiles and
// store.Credentials.
type Store struct {
	*sqlstore.Store
	ckpt *checkpointer
	// comb merges the PutBatch calls that wait while a batch is written
	// into one transaction (package combine).
	comb *combine.Combiner
}

// Open opens (creating if needed) the database file at path. The file and
// its -wal and -shm files must not be symbolic links: the file is created
// (0600) or opened here without following one first, and once SQLite has
// opened it by its name, the name must still be that file (safefs.Pin),
// so a link planted or swapped in never has the database kept elsewhere.
func Open(ctx context.Context, path string) (*Store, error) {
	return openStore(ctx, path, Readers, sqlstore.SQLite, defaultRestart)
}

// openStore is Open with readers connections for reads (0 reads through
// the write connection) and dialect d: benchmarks compare the store as it
// was before it had readers and prepared statements.
func openStore(ctx context.Context, path string, readers int, d sqlstore.Dialect, restart restartPolicy) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	for _, side := range []string{"-wal", "-shm", "-journal"} {
		if err := safefs.NotLink(path + side); err != nil {
			return nil, fmt.Errorf("embedded store: %w", err)
		}
	}
	check, err := safefs.Pin(path, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	db, err := openDB(path, "wal_autocheckpoint(0)", fmt.Sprintf("cache_size(-%d)", WriteCacheKiB))
	if err != nil {
		return nil, fmt.Errorf("embedded store %s: %w", path, err)
	}
	// SQLite has one writer at a time; one connection serialises writes in
	// Go instead of through busy retries.
	db.SetMaxOpenConns(1)
	// Reads have connections of their own, which WAL runs beside the
	// writer: a login's credential, a session's state or a model never
	// waits for the batch being written.
	var opts []sqlstore.Option
	var rdb *sql.DB
	if readers > 0 {
		if rdb, err = openDB(path, "query_only(1)"); err != nil {
			db.Close()
			return nil, fmt.Errorf("embedded store %s: readers: %w", path, err)
		}
		rdb.SetMaxOpenConns(readers)
		rdb.SetMaxIdleConns(readers)
		opts = append(opts, sqlstore.Reader(rdb))
	}
	s, err := sqlstore.New(ctx, db, d, true, opts...)
	if err == nil {
		err = check() // SQLite has the file open now
	}
	if err != nil {
		db.Close()
		if rdb != nil {
			rdb.Close()
		}
		return nil, fmt.Errorf("embedded store %s: %w", path, err)
	}
	cdb, err := openDB(path)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("embedded store %s: checkpointer: %w", path, err)
	}
	cdb.SetMaxOpenConns(1)
	ckpt := startCheckpointer(cdb, CheckpointEvery, restart)
	put := func(ctx context.Context, vs []store.Vector, ds []store.Decision) ([]bool, []bool, error) {
		ckpt.catchUp(ctx, db)
		return s.PutBatch(ctx, vs, ds)
	}
	return &Store{Store: s, ckpt: ckpt, comb: combine.New(put, 0)}, nil
}

// PutBatch implements store.Profiles: the calls that arrive while a batch
// is being written are written together, in one transaction, and each is
// answered for its own rows (package combine). A call returns once its
// rows are committed.
func (s *Store) PutBatch(ctx context.Context, vs []store.Vector, ds []store.Decision) ([]bool, []bool, error) {
	return s.comb.PutBatch(ctx, vs, ds)
}

// openDB opens path in WAL mode. WAL lets readers run beside the writer;
// synchronous=NORMAL in WAL mode survives a process crash (only a power
// loss can drop the last commits).
func openDB(path string, pragmas ...string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range append([]string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(OFF)"}, pragmas...) {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return sql.Open("sqlite", "file:"+path+"?"+q.Encode())
}

// Close stops the checkpointer, which copies what the log still holds into
// the database file and empties the log, then closes the database.
func (s *Store) Close() error {
	s.comb.Close()
	s.ckpt.stop()
	return s.Store.Close()
}

// checkpointer copies the write-ahead log into the database file from its
// own connection, off the commit path. SQLite's automatic checkpoint (off
// on the store's connection) runs inside the commit that crosses 1000 log
// pages: that commit also copies the pages and syncs the file while every
// partition's writes wait behind it. In bench pipeline at 10 000 users and
// 8 000 vectors/s it doubled the median latency (18 ms against 11 ms) and
// raised p99 from 71-88 ms to 107 ms. A PASSIVE checkpoint runs beside
// readers and the writer: it copies the frames no reader still needs and
// never waits for a lock.
//
// The log starts over from its beginning only when a write begins with
// every frame copied. A writer that never pauses for a whole checkpoint
// always has frames the last one did not copy, so the log grew without
// end (3.5 GB in 30 s at 12 000 vectors/s). So once a checkpoint finds the
// log over RestartFrames long, the writer itself runs a PASSIVE checkpoint
// before its next write (catchUp): nothing is written meanwhile, so it
// copies everything, and the write after it starts the log over.
//
// Every partition's writes wait while catchUp runs. Right after a pass
// that copied a second of writes, catchUp held the writer 55-106 ms,
// copying 1 154-1 900 frames (a probe in bench pipeline at 12 000
// vectors/s). So once the log is over the bound, the checkpointer runs
// more passes first, each copying what was written during the one before,
// until a pass finds at most catchUpFrames new (readyToRestart). catchUp
// then held the writer 6-36 ms, copying 436-2 812 frames (those written
// during the last pass): the hold follows what its syncs wait for more
// than the frames it copies (BenchmarkLogRestart compares the two). A
// RESTART checkpoint from the background instead holds the writer while
// it waits for readers with SQLite's backoff sleeps (50-125 ms a time in
// bench pipeline).
type checkpointer struct {
	db      *sql.DB
	policy  restartPolicy
	cancel  context.CancelFunc
	done    chan struct{}
	once    sync.Once
	restart atomic.Bool // the log is over the policy's frames: the writer should catch up
}

func startCheckpointer(db *sql.DB, every time.Duration, policy restartPolicy) *checkpointer {
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, policy: policy, cancel: cancel, done: make(chan struct{})}
	go c.run(ctx, every)
	return c
}

func (c *checkpointer) run(ctx context.Context, every time.Duration) {
	defer close(c.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.checkpoint(ctx)
		}
	}
}

// checkpoint copies the log into the database file beside the writer,
// and asks the writer to catch up when the log is over the policy's
// frames. A failed checkpoint leaves the frames in the log for the next
// one; the writes it would copy are committed already.
func (c *checkpointer) checkpoint(ctx context.Context) {
	pass := func() (int, error) {
		var busy, frames, copied int
		err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
		return frames, err
	}
	if readyToRestart(pass, c.policy) {
		c.restart.Store(true)
	}
}

// catchUpFrames: the checkpointer's extra passes stop once one finds at
// most this many frames written during the pass before (1 MiB).
const catchUpFrames = 256

// restartPolicy says when the log starts over: once it is frames long,
// after at most passes more checkpoint passes (readyToRestart).
type restartPolicy struct{ frames, passes int }

// defaultRestart: 8 passes leave room; in bench pipeline at 12 000
// vectors/s two to five more passes reached catchUpFrames.
var defaultRestart = restartPolicy{frames: RestartFrames, passes: 8}

// readyToRestart runs one checkpoint pass (pass returns the log's length
// in frames when it began). If the log is p.frames long or more, it runs
// up to p.passes more, each copying the frames written during the one
// before, until a pass finds at most catchUpFrames new frames, and reports
// whether the writer should catch up: not after an error, nor when the log
// has started over meanwhile.
func readyToRestart(pass func() (int, error), p restartPolicy) bool {
	frames, err := pass()
	if err != nil || frames < p.frames {
		return false
	}
	for range p.passes {
		prev := frames
		if frames, err = pass(); err != nil {
			return false
		}
		if frames-prev <= catchUpFrames {
			break
		}
	}
	return frames >= p.frames
}

// catchUp, called by the writer before a write on its connection db,
// copies the rest of the log when the checkpointer asked for it, so that
// the write starts the log over. A failure leaves it to the next request.
func (c *checkpointer) catchUp(ctx context.Context, db *sql.DB) {
	if c.restart.Swap(false) {
		_, _ = db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	}
}

// stop ends the loop, then copies the rest of the log and truncates it, so a
// stopped state folder holds the data in the database file alone.
func (c *checkpointer) stop() {
	c.once.Do(func() {
		c.cancel()
		<-c.done
		_, _ = c.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		c.db.Close()
	})
}
