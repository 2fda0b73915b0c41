package linkback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// Class is what a sender should do after an outcome.
type Class int

// The classes, from PROTOCOLS.md's fault table and HTTP rules.
const (
	// ClassDone: the notification is delivered (or was already: fault 48).
	ClassDone Class = iota
	// ClassRetry: transient; try again on a later run, with exponential backoff.
	ClassRetry
	// ClassRetryFew: unclear (fault 0, garbage answers); a few tries, then give up.
	ClassRetryFew
	// ClassBackoff: the host asks us to slow down (429, WordPress comment
	// flood); back the host off now and retry within this run.
	ClassBackoff
	// ClassPermanent: retrying cannot help.
	ClassPermanent
)

var classNames = [...]string{"done", "retry", "retry-few", "backoff", "permanent"}

func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// faultClasses is the fault table of PROTOCOLS.md. Codes not listed are
// ClassRetryFew.
var faultClasses = map[int]Class{
	0:      ClassRetryFew,  // generic; WordPress answers 0 for every failure but 48
	16:     ClassRetry,     // source does not exist: usually not deployed yet
	17:     ClassPermanent, // source has no link to target
	32:     ClassPermanent, // target does not exist
	33:     ClassPermanent, // target cannot be used / pingbacks closed
	48:     ClassDone,      // already registered
	49:     ClassPermanent, // access denied
	50:     ClassRetry,     // upstream server problem
	409:    ClassDone,      // WordPress duplicate comment: it has it
	429:    ClassBackoff,   // WordPress comment flood
	-32700: ClassRetry,     // parse error
	-32300: ClassRetry,     // transport error
	-32301: ClassRetry,     // transport error
	-32601: ClassPermanent, // method not found: the endpoint does not do pingback
	-32600: ClassPermanent, // invalid XML-RPC: resending the same call cannot help
	-32602: ClassPermanent, // invalid method parameters: likewise
}

// Classify says what to do after an outcome: nil is ClassDone; a
// *FaultError follows the fault table; a *HTTPError is ClassBackoff for
// 429, ClassRetry for 5xx and 408, ClassPermanent for other 4xx; timeouts,
// refused or reset connections and DNS failures are ClassRetry; the URL
// guard's refusals and ErrNoEndpoint are ClassPermanent; ErrTooLarge and
// *ProtocolError are ClassRetryFew, as is anything unknown.
func Classify(err error) Class {
	if err == nil {
		return ClassDone
	}
	var fe *FaultError
	if errors.As(err, &fe) {
		if c, ok := faultClasses[fe.Code]; ok {
			return c
		}
		return ClassRetryFew
	}
	var te *TrackbackError
	if errors.As(err, &te) {
		// WordPress answers a repeat with an error naming the duplicate: the
		// ping is there. Any other refusal (closed, spam) will not change.
		if te.Duplicate() {
			return ClassDone
		}
		return ClassPermanent
	}
	var ue *UpdateError
	if errors.As(err, &ue) {
		return ClassPermanent // the service said flerror; it is pinged again on the next change
	}
	var he *HTTPError
	if errors.As(err, &he) {
		switch s := he.StatusCode; {
		case s == http.StatusTooManyRequests:
			return ClassBackoff
		case s >= 500, s == http.StatusRequestTimeout:
			return ClassRetry
		case s >= 400:
			return ClassPermanent
		default: // 3xx not followed, 1xx: odd, give it a few chances
			return ClassRetryFew
		}
	}
	switch {
	case errors.Is(err, ErrPrivateAddress), errors.Is(err, ErrNotHTTP),
		errors.Is(err, ErrUserinfo), errors.Is(err, ErrNoEndpoint):
		return ClassPermanent
	case errors.Is(err, ErrNotLive):
		return ClassRetry
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrTooManyRedirects):
		return ClassRetryFew
	}
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return ClassRetryFew
	}
	if isTransient(err) {
		return ClassRetry
	}
	return ClassRetryFew
}

// isTransient reports timeouts, connection and DNS failures.
func isTransient(err error) bool {
	var ne net.Error
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return true
	case errors.As(err, &ne) && ne.Timeout():
		return true
	case errors.As(err, &dns):
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EPIPE):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true // the server hung up mid-answer
	case errors.As(err, &op):
		return true
	}
	return false
}

// RetryAfter returns the delay an *HTTPError's server asked for, 0 if it
// named none or err is not one.
func RetryAfter(err error) time.Duration {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.RetryAfter
	}
	return 0
}

// faultWords explain the faults of the table, for status.
var faultWords = map[int]string{
	0:      "receiver refused without giving a reason (fault 0; WordPress answers 0 for every failure)",
	16:     "receiver could not fetch the source page (fault 16); it may not be live yet",
	17:     "receiver says the source has no link to the target (fault 17)",
	32:     "receiver says the target does not exist (fault 32)",
	33:     "receiver says the target cannot take pingbacks (fault 33)",
	48:     "already registered (fault 48)",
	49:     "receiver denied access (fault 49)",
	50:     "receiver's upstream server failed (fault 50)",
	409:    "receiver already has it (fault 409, duplicate)",
	429:    "receiver refused it as a comment flood (fault 429)",
	-32700: "receiver could not parse the call (fault -32700)",
	-32300: "receiver had a transport error (fault -32300)",
	-32301: "receiver had a transport error (fault -32301)",
	-32601: "endpoint does not offer pingback.ping (fault -32601)",
}

// Explain says what an outcome means in a few words, for `status`: "target
// does not accept pingbacks", "receiver says the source has no link to the
// target (fault 17)", "timed out after 10s", "refused: private address
// 10.0.0.1". It never says more than the error knows.
func Explain(err error) string {
	if err == nil {
		return "done"
	}
	var (
		fe  *FaultError
		he  *HTTPError
		te  *TimeoutError
		ae  *AddressError
		ne  *NoEndpointError
		le  *NotLiveError
		pe  *ProtocolError
		dns *net.DNSError
	)
	switch {
	case errors.As(err, &fe):
		if w, ok := faultWords[fe.Code]; ok {
			if fe.Message != "" && fe.Code != 48 {
				w += ": " + fe.Message
			}
			return w
		}
		return "receiver answered " + fe.Error()
	case errors.As(err, &ne):
		if len(ne.Protocols) == 1 {
			return "target does not accept " + ne.Protocols[0] + "s"
		}
		return "target accepts none of " + strings.Join(ne.Protocols, ", ")
	case errors.Is(err, ErrNoEndpoint):
		return "target does not accept pingbacks"
	case errors.As(err, &le):
		// No "source not live yet" here: callers say that in their own words.
		return le.reason()
	case errors.As(err, &he):
		s := fmt.Sprintf("%s answered HTTP %d %s", he.URL, he.StatusCode, http.StatusText(he.StatusCode))
		if he.Location != "" {
			s += " to " + he.Location
		}
		if he.RetryAfter > 0 {
			s += fmt.Sprintf(", asks to wait %s", he.RetryAfter)
		}
		return s
	case errors.As(err, &te):
		return "timed out after " + te.After.String()
	case errors.As(err, &ae):
		return "refused: private address " + ae.Addr.String()
	case errors.Is(err, ErrPrivateAddress):
		return "refused: private address"
	case errors.Is(err, ErrNotHTTP):
		return "refused: not an http(s) URL"
	case errors.Is(err, ErrUserinfo):
		return "refused: URL carries a user or password"
	case errors.Is(err, ErrTooLarge):
		return fmt.Sprintf("answer too large (over %d KiB)", MaxRPCBytes>>10)
	case errors.Is(err, ErrTooManyRedirects):
		return "too many redirects"
	case errors.As(err, &pe):
		return "garbage answer: " + pe.Msg
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "host not found: " + dns.Name
		}
		return "DNS failure for " + dns.Name
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "cancelled: the run ended first"
	}
	return err.Error()
}
