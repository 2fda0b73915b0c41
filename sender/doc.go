// Package sender runs one `hugo-pingback send`: it scans the pages of a built
// site, diffs their content links against the ledger, and delivers the
// notifications that are due.
//
// A run has stages, each in its own file, each returning its own counts,
// which Run puts together in the Report:
//
//   - scan.go walks the site and, as the walk finds them, reads every page,
//     hashes its bytes and extracts its content links, but only for pages
//     whose bytes (or extraction settings) changed since the ledger last
//     saw them. Nothing lists the site first: the walk and the workers are
//     a bounded window ahead of the plan, only changed pages leave the
//     scan, and the ledger records it saw (a bitmap) tell which known pages
//     left the site;
//   - decide.go is the rule: what a page as the ledger knew it and as this
//     build has it mean for its notifications (new, baselined, skipped,
//     Webmention updates and deletes, cancelled), a pure function tested as
//     a table;
//   - plan.go feeds the scan's changed pages and the pages that left the site
//     to decide, applies the flood guards, and commits the records before
//     any request, so a crash never loses a link: records that cannot change
//     the guard's verdict as the scan goes, the others once it passed. It
//     returns the jobs due now, with the notifications left open by earlier
//     runs;
//   - deliver.go checks that each source is live, discovers endpoints and
//     sends, each step a task on the host it contacts; schedule.go runs the
//     tasks with Concurrency workers, one request in flight per host,
//     requests to one host (discovery and notification alike) HostInterval
//     apart, and hosts ordered in a heap by when they may next be contacted,
//     so no worker waits on one host while another is ready. Notifications
//     are marked in flight durably before they are sent (up to 8 per host in
//     one transaction, and the marks of all hosts share commits) and settled
//     afterwards in batches; each request has a timeout, the run a budget;
//   - services.go tells update services and WebSub hubs of the changes;
//   - report.go counts what happened for the summary and --json.
//
// Package sender never parses HTML itself (package renderer does), never
// speaks a protocol itself (package linkback does, which also owns the
// protocol rules: which endpoint to choose, which protocols re-send
// updates), never normalises a URL itself (package linkurl does) and never
// touches bbolt (package state does). It makes no request at all in dry-run
// or baseline mode.
package sender
