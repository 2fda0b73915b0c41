// Package linkback speaks the linkback protocols to other people's servers:
// it owns the safe HTTP client every request goes through, endpoint
// discovery, Pingback over XML-RPC, Webmention, Trackback, update services
// and WebSub, and the classification of every answer.
//
// What it owns:
//   - Client, built by NewClient: a per-request timeout, bounded redirects,
//     capped reads, a User-Agent naming the tool, and a dialer guard that
//     refuses loopback, private, link-local, CGNAT, multicast and
//     IPv4-mapped addresses at connect time, on every hop, unless
//     ClientOptions.AllowPrivate. It never uses an HTTP proxy, since the guard
//     could then only check the proxy.
//   - Client.Discover: one GET of a target, finding the endpoints of every
//     protocol asked for (Pingback's X-Pingback header and <link>, Webmention's
//     Link header and <link>/<a>, Trackback's RDF).
//   - Client.Pingback and Client.Call: XML-RPC written and parsed with
//     encoding/xml; and the server side of the same protocol for the
//     receiver: ParseMethodCall (size cap, no DTD, never an entity
//     expanded), EncodeResponse, EncodeFault, and the fault codes.
//   - Client.Fetch: one guarded GET of a page someone else named (a
//     mention's source), with the redirect count and size cap asked for.
//   - Client.VerifyLive: the check that a source page is live before anyone
//     is told about it.
//   - Classify, Explain and RetryAfter: what an outcome means and what to do
//     about it, from the fault table in PROTOCOLS.md.
//
// What it never does: it never touches the ledger, never decides what to
// send, to whom, or when (package sender does), never retries or sleeps on
// its own, and never logs unless given a slog.Logger. Every function takes
// its URLs as arguments and returns what the remote side answered.
package linkback
