// Package state owns the ledger of hugo-pingback: the one bbolt file that
// remembers, between runs, which pages the site had, which links they
// carried, and what became of every notification sent for them.
//
// Package state never touches the network, the built site or the Hugo
// configuration; it does not decide what to send or when to retry. It
// stores what the sender decided and gives it back. All bbolt access lives
// here, inside View and Update closures; nothing returned points into
// bbolt's memory.
//
// # Using the ledger
//
// Open the file (Open creates it on the first run, see Ledger.Created), read
// what the last runs recorded (Pages, NotificationsFor, NotificationsWith,
// InFlight, Discovery, Stats), and write through Commit, which applies a
// Batch of records in one transaction. Commit is all or nothing and durable when it
// returns: bbolt fsyncs on every commit, which is why the sender writes in
// batches (hundreds of records) rather than one transaction per link.
//
// A Ledger is safe for concurrent use; bbolt serialises the commits. Open
// and Close write nothing, so a run that commits nothing leaves the file
// byte for byte as it was (a CI cache keyed on its hash stays valid).
//
// A second Open of the same file, by another process or by another Ledger in
// this process, waits Options.Timeout and then fails with ErrLocked. A file
// that is empty, truncated, not a bbolt file, or a bbolt file without this
// tool's marker fails with ErrCorrupt; a ledger written by a newer schema
// fails with ErrSchema. A file found corrupt is never replaced, truncated or
// repaired; a migration or a compaction replaces a sound one with a
// complete new file, by rename.
// bbolt panics and memory faults on corrupt pages are recovered as
// ErrCorrupt instead of crashing the tool, and after one every call on that
// Ledger returns it. Ledger.Check verifies a whole ledger. This handling of
// the file is shared with the receiver's mention store (internal/boltfile).
//
// # Export and import
//
// Ledger.Export writes the ledger as JSON Lines of its public records (a
// header with the format version, then pages, notifications, discovery
// entries, feeds and service calls, each sorted by key), independent of
// the file's layout; Ledger.Import merges such a file into a ledger, the
// newer record winning per key. The same ledger always exports to the same
// bytes, so the export can be committed to a repository instead of caching
// the ledger (export.go documents the format). meta/first_run, the time of
// the first recorded run, is exported too: an imported ledger knows its
// site.
//
// # The in-flight protocol (crash safety)
//
// A notification must be sent at least once and, whatever moment the process
// is killed at, at most once more. The sender
//
//  1. commits a batch marking the notifications it is about to send
//     StatusInFlight,
//  2. sends them,
//  3. commits their settled outcomes (StatusNotified, StatusRetry, ...) in
//     batches as they come back.
//
// A run killed between 1 and 3 leaves StatusInFlight records behind; the
// next run finds them with InFlight and sends them again. A pingback
// receiver answers such a repeat with fault 48 ("already registered"),
// which counts as done; Webmention receivers treat a repeat as an update.
// Because every batch is one fsynced transaction, a kill loses at most the
// batch being committed, never part of one.
//
// Notification.Sends is best incremented in step 1, in the same batch that
// marks the notification in flight: it then counts every delivery that may
// have happened, even one whose outcome a kill lost, and a crash test can
// assert from the ledger alone that nothing was sent more than twice.
//
// # Layout (schema version 3)
//
// The file has ten top-level buckets, created when the file is:
//
//	meta       "tool"      = "hugo-pingback"      (marker: a bbolt file without it is not ours)
//	           "schema"    = "3"                  (decimal SchemaVersion)
//	           "created"   = RFC 3339 time, UTC
//	           "first_run" = RFC 3339 time of the first run recorded (absent before one)
//	urls       key: url id                 value: uvarint host id, uvarint page record key (0: none), rest of the URL
//	urlids     key: 32-bit hash of a URL   value: the url ids with that hash (uvarints)
//	hosts      key: host id                value: "scheme://host[:port]"
//	hostids    key: "scheme://host[:port]" value: uvarint host id
//	pages      key: page record key        value: source record (source.go): the page and its notifications
//	discovery  key: target url id          value: encoded Discovery, its URLs as url ids
//	feeds      key: feed URL               value: encoded Feed
//	services   key: source URL + 0x00 + service URL  value: encoded Notification
//	runs       key: run ID, 8 bytes big-endian       value: encoded Run
//
// Every URL is stored once (urls, ids.go): a page's URL, a target's, an
// endpoint's. Everything else names it by its url id, a sequential number
// written in a variable-length encoding whose byte order is its numeric
// order (1 byte up to 127, 2 up to 16,383, 3 up to 2 million). Hosts repeat
// more than paths, so a URL is its host's id and the rest of its bytes.
//
// A page and its notifications are one source record, not one key each: a
// bbolt key costs 16 bytes before its own. The record holds the page's
// fields, then a small dictionary of the strings its notifications repeat
// (protocol, version, reasons), then one entry per target the page links,
// linked or tried: target url id (delta-coded), flags (linked, tried, the
// status), and the notification's other fields, tagged. Page.Links and
// Page.Targets are the entries' flags. A head (the hash, whether deleted,
// how many links, the statuses held with their counts) comes first, so a
// scan, Stats and NotificationsWith read a few bytes of each record.
// Records have sequential keys of their own, given when a record is made,
// so a baseline appends them; a URL's urls entry names its record.
//
// Buckets whose keys are sequential are filled densely (FillPercent);
// urlids, keyed by a hash, is filled at random, and each commit of many new
// URLs rewrites much of it, which leaves free pages: see Compact. On
// 10,000 generated pages a baseline leaves about 70 bytes per content link.
//
// The NUL separator in service keys cannot occur in a URL (Commit refuses
// one). Run IDs come from the runs bucket's sequence, so they sort in run
// order; the newest MaxRuns runs are kept.
//
// # Value encoding
//
// Values are a compact tagged binary encoding: a format byte (0x01 for
// feeds, service calls and runs, and schema 2's records; 0x02 for source
// records and discovery entries), then fields, each a uvarint key (field
// number << 3 | wire type) and a payload, as in the protocol buffers wire
// format. Wire type 0 is a zig-zag varint (ints, bools, ids); wire type 2
// is a uvarint length and that many bytes (strings; times as a zig-zag
// varint of Unix seconds followed by a uvarint of nanoseconds, always UTC).
// In a source record a time without a fraction of a second is a wire type
// 0 varint of seconds from the record's base time. Zero values are not
// written and decoders skip unknown fields, so a field can be added
// without a schema change.
//
// Field numbers (never reused):
//
//	source record: 1 Base (time), 2 HasPage, 3 File, 4 File as the URL's last n bytes,
//	               5 Hash, 6 Title, 7 Published, 8 FirstSeen, 9 LastSeen, 10 Deleted,
//	               11 DeletedAt, 12 linked count, 13 statuses (mask, counts),
//	               14 dictionary (repeated), 15 entries (repeated), 16 common version,
//	               17 source url id
//	entry:         target delta, flags (positional); then 1 Protocol, 2 Endpoint,
//	               3 Attempts, 4 NextAttempt, 5 LastError, 6 Code, 7 Answer, 8 Location,
//	               9 Version, 10 Sends, 11 Created (absent: the base), 12 Updated
//	               (absent: Created), 13 NotifiedAt, 14 DeferredSince
//	Notification:  1 Status, 2 Protocol, 3 Endpoint, 4 Attempts, 5 NextAttempt,
//	(services)     6 LastError, 7 Code, 8 Answer, 9 Location, 10 Version, 11 Sends,
//	               12 Created, 13 Updated, 14 NotifiedAt, 15 DeferredSince
//	Discovery:     1 Final, 2 Pingback, 3 Webmention, 4 Trackback (url ids),
//	               5 (retired: an error text no release wrote), 6 Fetched, 7 Expires
//	Feed:          1 File, 2 Hash, 3 FirstSeen, 4 LastSeen
//	Run:           1 Started, 2 Finished, 3 Command,
//	               4 Counts (repeated: uvarint name length, name, zig-zag varint),
//	               5 Interrupted, 6 Stopped (why: "time budget", "interrupted")
//
// Page.Targets only ever grows: Commit unions it with the stored set, so a
// page remembers every target it notified or attempted, which Webmention
// updates and deletes re-send to even after the link is gone. Deleted pages
// keep their record with Deleted set for the same reason.
//
// # Schema versions
//
// SchemaVersion is stored in meta/schema. A build opens ledgers of its own
// or an older schema and refuses newer ones with ErrSchema rather than
// misreading them. Adding a field does not need a new version; changing a
// key layout, the value format byte or the meaning of a field does.
//
//	1  the first: one key per page and per notification, by URL; feeds among
//	   the pages (told apart by a File ending in .xml), update-service and
//	   WebSub calls among the notifications (protocols "weblogUpdates" and
//	   "websub")
//	2  feeds and services in buckets of their own
//	3  URLs interned, a page and its notifications one record
//
// A writable Open migrates an older ledger by writing a new file beside it
// (".NAME.migrate-*"), copying every record through the public records,
// and renaming it over the old file; killed at any moment, the old file is
// as it was and the next Open starts again (removing what was left). A
// read-only Open never writes: it migrates a copy in a temporary file and
// reads that, and Close removes it.
//
// # Compaction
//
// bbolt reuses free pages but never gives them back. Compact writes the
// records densely into ".NAME.compact-*" and renames it over the ledger,
// crash-safe the same way; CompactIfSparse does it when a third of the
// pages hold nothing (a baseline leaves about that). Another process
// waiting for the lock of a file renamed away (by a migration or a
// compaction) opens the new file once it has the lock.
package state
