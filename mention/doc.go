// Package mention owns what the receiver keeps: the mentions other sites
// made of this site's pages (received as Pingback, Webmention or
// Trackback), their moderation state, the durable queue of requests still
// to verify, and the ways mentions leave the store again (the admin JSON,
// jf2 for Hugo's data dir).
//
// Package mention never speaks HTTP to senders and never fetches a source;
// package receiver does that and hands the verified result here. A Store
// is the one interface to the data: the bbolt file of `hugo-pingback serve`
// implements it (BoltStore), and a shared store (PostgreSQL, for several
// receivers behind a load balancer) can implement it later. The only
// requests it makes are a moderator's: Remote talks to a running receiver's
// admin API, and PullWebmentionIO reads webmention.io's API, both through
// the project's guarded client.
//
// # Moderation
//
// Policy.Decide says what becomes of a verified mention: spam when its
// source host is denied (config or Block), approved when allowed, and
// otherwise as Policy.Moderate says (by default a host with an approved
// mention is trusted, a new host is held). Moderators change states with
// Moderate, locally (BoltStore) or remotely (Remote): both are a Moderator.
//
// # Back into the site
//
// Export writes the approved mentions into the Hugo site's data dir as jf2,
// one file per target page (see Export for the file names, and
// example-site/layouts/partials/mentions.html for a template that reads
// them); PullServer and PullWebmentionIO fill the same files from a running
// receiver or from webmention.io.
//
// # The bbolt file (schema version 1)
//
// Open creates, checks and guards the file the way the sender's ledger is
// (package internal/boltfile): a meta bucket with the tool marker, the
// schema and the creation time; ErrLocked after Options.Timeout when another
// process holds it; ErrCorrupt for a file that is not ours, never replaced
// or truncated; ErrSchema for a newer schema; bbolt's panics on corrupt
// pages recovered as ErrCorrupt. Top-level buckets:
//
//	meta      "tool" = "hugo-pingback", "schema" = "1", "created" = RFC 3339 UTC
//	mentions  key: ID, 8 bytes big-endian (the bucket's sequence)    value: Mention as JSON
//	pairs     key: linkurl.KeyOf(source) 0x00 linkurl.KeyOf(target)  value: ID
//	targets   key: linkurl.KeyOf(target) 0x00 ID                     value: empty
//	states    key: state 0x00 ID                                     value: empty
//	approved  key: source host 0x00 ID (approved mentions only)      value: empty
//	requests  key: request ID (32 hex digits, 128 random bits)       value: Request as JSON
//	queued    key: received time (Unix ns, 8 bytes big-endian) request ID   value: empty
//	blocked   key: host                                              value: RFC 3339 time blocked
//
// The pair index is what makes a new request for a known (source, target)
// an update of one mention, with linkurl's comparison: scheme and host
// case, default port, trailing slash and index.html do not matter. The
// targets and states indexes make Mentions with a Target or States filter a
// prefix scan; the approved index makes HasApproved one seek per host; the
// queued index gives Queued in arrival order without reading answered
// requests. Every write moves a record and its index entries in one
// transaction; Check verifies they agree. NUL cannot occur in a URL key
// (linkurl.Key escapes it), so 0x00 separates.
//
// Values are JSON (the form the admin API serves): a mention is a few
// hundred bytes and a receiver writes hundreds a second at most, so
// readability with `bbolt get` wins over the ledger's compact encoding.
// Fields can be added without a schema change; decoders ignore unknown ones.
//
// # Durability
//
// Every method that writes is durable when it returns. Enqueue, the one on
// a receiver's hot path, is a group commit (boltfile.File.GroupUpdate):
// the calls that arrive while one transaction commits share the next
// transaction and its fsync, so a 202 still means "on disk" at thousands of
// requests a second, and an idle store commits at once. bbolt's own
// DB.Batch was measured first (BenchmarkEnqueueAtRate): it starts a group on
// a timer and queues groups behind the write lock, so when commits are
// slower than the timer the groups stay small and pile up, and the latency
// of a steady 2,000 requests a second grew without bound on a busy disk.
// A group's function may run twice (when another call's fails), so Enqueue
// computes everything (ID, times, bytes) before and only puts fixed keys
// inside. Request IDs begin with their received time, so new requests
// append to the requests bucket instead of dirtying random pages of it.
package mention
