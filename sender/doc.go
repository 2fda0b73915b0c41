// Package sender runs one `hugo-pingback send`: it scans the pages of a built
// site, diffs their content links against the ledger, and delivers the
// notifications that are due.
//
// A run has four steps, each in its own file:
//
//   - scan.go reads every page, hashes its bytes and extracts its content
//     links, but only for pages whose bytes (or extraction settings) changed
//     since the ledger last saw them;
//   - plan.go turns new links, changed and deleted pages, retries that are due
//     and notifications left in flight by a killed run into jobs, and commits
//     the plan (page records together with their pending notifications) before
//     any request, so a crash never loses a link;
//   - deliver.go discovers endpoints and sends, with bounded concurrency, one
//     request in flight per host, POSTs to one host spaced apart, a per-request
//     timeout and a whole-run budget; notifications are marked in flight
//     durably before they are sent (up to 8 per host in one transaction, and
//     the marks of all hosts share commits) and settled afterwards in batches;
//   - report.go counts what happened for the summary and --json.
//
// Package sender never parses HTML itself (package renderer does), never
// speaks a protocol itself (package linkback does) and never touches bbolt
// (package state does). It makes no request at all in dry-run or baseline mode.
package sender
