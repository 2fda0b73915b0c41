// Package receiver owns the receiving half of hugo-pingback: the HTTP
// server that takes Pingbacks (XML-RPC at /xmlrpc), Webmentions (/webmention,
// W3C Recommendation section 3.2) and Trackbacks (/trackback/PATH) for the
// pages of configured sites, verifies each by fetching its source, and
// hands the verified mention to a mention.Store.
//
// What it owns:
//   - the endpoints and their answers: the real Pingback fault codes (16, 17,
//     32, 33, 48, 49, 50, and the XML-RPC ones for broken calls), Webmention's
//     400 reasons and 202 with a status URL, Trackback's error 0/1;
//   - which targets exist (Targets: the built site's pages, or a guarded GET
//     of the live page);
//   - the verification workflow: the source is fetched with the project's
//     guarded client before anything becomes a mention; Pingback and
//     Trackback are verified while the sender waits, Webmention by a fixed
//     pool of workers from a bounded queue whose requests are committed
//     before the 202 and reloaded at start; passing failures are retried with
//     backoff, updates re-verify, a gone source deletes;
//   - scraper detection (a source that copies the target's own text is spam)
//     and the call to the moderation Policy;
//   - the abuse limits of the pingback-reflection threat model
//     (CVE-2013-0235): token buckets per client IP and per source host, one
//     fetch of a source URL per minute however many requests name it, a cap
//     on concurrent fetches, the bounded queue;
//   - the admin JSON API (/api/) and the moderation page (/admin/), behind a
//     bearer token; Prometheus metrics (/metrics); /healthz; the optional
//     rebuild hook POSTed when mentions are approved.
//
// What it never does: it never parses a source's microformats or sanitises
// its HTML (package verify), never stores anything itself (the Store does,
// durably, before any 202), never fetches with a client other than a
// linkback.Client (the private-address guard on every hop), and never
// fetches anything for a target that is not on a configured site.
package receiver
