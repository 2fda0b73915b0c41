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
// fails with ErrSchema. The file is never replaced, truncated or repaired.
// bbolt panics and memory faults on corrupt pages are recovered as
// ErrCorrupt instead of crashing the tool, and after one every call on that
// Ledger returns it. Ledger.Check verifies a whole ledger. This handling of
// the file is shared with the receiver's mention store (internal/boltfile).
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
// # Layout (schema version 1)
//
// The file has five top-level buckets, created when the file is:
//
//	meta           "tool"    = "hugo-pingback"        (marker: a bbolt file without it is not ours)
//	               "schema"  = "1"                    (decimal SchemaVersion)
//	               "created" = RFC 3339 time, UTC
//	pages          key: page URL                       value: encoded Page
//	notifications  key: source URL + 0x00 + target URL value: encoded Notification
//	discovery      key: target URL as linked           value: encoded Discovery
//	runs           key: run ID, 8 bytes big-endian     value: encoded Run
//
// The NUL separator in notification keys cannot occur in a URL (Commit
// refuses one), keeps all notifications of one source adjacent and sorted
// by target (so NotificationsFor is one prefix scan), and keeps the whole
// bucket in (source, target) order. Run IDs come from the runs bucket's
// sequence, so they sort in run order; the newest MaxRuns runs are kept.
//
// # Value encoding
//
// Values are a compact tagged binary encoding: the byte 0x01 (the format),
// then fields, each a uvarint key (field number << 3 | wire type) and a
// payload, as in the protocol buffers wire format. Wire type 0 is a zig-zag
// varint (ints, bools); wire type 2 is a uvarint length and that many bytes
// (strings; times as a zig-zag varint of Unix seconds followed by a uvarint
// of nanoseconds, always UTC). Zero values are not written, list elements
// are one field each, and decoders skip unknown fields, so a field can be
// added without a schema change. The key is not repeated in the value. A
// notification's status is always its first field, so Stats and InFlight
// read one byte string instead of decoding the record. JSON was the first
// choice; it made reading 10,000 pages take over 100 ms instead of ~20.
//
// Field numbers (never reused):
//
//	Page:          1 File, 2 Hash, 3 Links (repeated), 4 Targets (repeated), 5 Title,
//	               6 Published, 7 FirstSeen, 8 LastSeen, 9 Deleted, 10 DeletedAt
//	Notification:  1 Status, 2 Protocol, 3 Endpoint, 4 Attempts, 5 NextAttempt,
//	               6 LastError, 7 Code, 8 Answer, 9 Location, 10 Version, 11 Sends,
//	               12 Created, 13 Updated, 14 NotifiedAt, 15 DeferredSince
//	Discovery:     1 Final, 2 Pingback, 3 Webmention, 4 Trackback, 5 Err,
//	               6 Fetched, 7 Expires
//	Run:           1 Started, 2 Finished, 3 Command,
//	               4 Counts (repeated: uvarint name length, name, zig-zag varint),
//	               5 Interrupted
//
// Page.Targets only ever grows: Commit unions it with the stored set, so a
// page remembers every target it notified or attempted, which Webmention
// updates and deletes re-send to even after the link is gone. Deleted pages
// keep their record with Deleted set for the same reason.
//
// # Schema versions
//
// SchemaVersion is stored in meta/schema. A build opens ledgers of its own
// or an older schema (migrating older ones inside the opening transaction)
// and refuses newer ones with ErrSchema rather than misreading them. Adding
// a field does not need a new version; changing a key layout, the value
// format byte or the meaning of a field does.
package state
