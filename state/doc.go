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
// what the last runs recorded (Pages, NotificationsFor, Discovery,
// InFlight, Stats), and write through Commit, which applies a Batch of
// records in one transaction. Commit is all or nothing and durable when it
// returns: bbolt fsyncs on every commit, which is why the sender writes in
// batches (hundreds of records) rather than one transaction per link.
//
// A second Open of the same file, by another process or by another Ledger in
// this process, waits Options.Timeout and then fails with ErrLocked. A file
// that is empty, truncated, not a bbolt file, or a bbolt file without this
// tool's marker fails with ErrCorrupt; a ledger written by a newer schema
// fails with ErrSchema. The file is never replaced, truncated or repaired.
// bbolt panics and memory faults on corrupt pages are recovered as
// ErrCorrupt instead of crashing the tool.
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
// Notification.Sends counts actual deliveries so tests can assert "never
// more than twice". Because every batch is one fsynced transaction, a kill
// loses at most the batch being committed, never part of one.
//
// # Layout (schema version 1)
//
// The file has five top-level buckets, created when the file is:
//
//	meta           "tool"    = "hugo-pingback"        (marker: a bbolt file without it is not ours)
//	               "schema"  = "1"                    (decimal SchemaVersion)
//	               "created" = RFC 3339 time, UTC
//	pages          key: page URL                       value: JSON page record
//	notifications  key: source URL + 0x00 + target URL value: JSON notification record
//	discovery      key: target URL as linked           value: JSON discovery record
//	runs           key: run ID, 8 bytes big-endian     value: JSON run record
//
// The NUL separator in notification keys cannot occur in a URL, keeps all
// notifications of one source adjacent and sorted by target (so
// NotificationsFor is one prefix scan), and keeps the whole bucket in
// (source, target) order. Run IDs come from the runs bucket's sequence, so
// they sort in run order; the newest MaxRuns runs are kept.
//
// Values are JSON objects (encoding/json) with short camelCase names:
// readable with `bbolt get`, tolerant of fields added later (unknown fields
// are ignored, missing ones are zero). The key is not repeated in the value.
// Zero times and empty fields are omitted; times are RFC 3339 in UTC. A
// notification record always starts with its "status" field, so counting
// statuses does not decode whole records.
//
//	page:          {"file","hash","links":[],"targets":[],"title","published",
//	                "firstSeen","lastSeen","deleted","deletedAt"}
//	notification:  {"status","protocol","endpoint","attempts","nextAttempt","lastError",
//	                "code","answer","location","version","sends","created","updated","notifiedAt"}
//	discovery:     {"final","pingback","webmention","trackback","err","fetched","expires"}
//	run:           {"started","finished","command","counts":{},"interrupted"}
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
// a JSON field does not need a new version; changing a key layout or the
// meaning of a field does.
package state
