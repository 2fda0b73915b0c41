package linkback

import (
	"fmt"
	"net/netip"
	"syscall"
)

// AddressError is a connection the guard refused. It matches
// ErrPrivateAddress with errors.Is.
type AddressError struct {
	Addr netip.Addr // the address the dialer was about to connect to
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("%s %s", ErrPrivateAddress, e.Addr)
}

// Is makes errors.Is(err, ErrPrivateAddress) true.
func (e *AddressError) Is(target error) bool { return target == ErrPrivateAddress }

// guard is the dialer's Control hook. It sees the address the socket is
// about to connect to, after DNS, on every connection: first request,
// redirect hop, discovered endpoint. A name that resolved to a public
// address when first looked up and to 127.0.0.1 now (DNS rebinding,
// CVE-2022-3590) is therefore still refused.
type guard struct {
	check func(netip.AddrPort) error // nil: everything allowed
}

func (g guard) control(network, address string, _ syscall.RawConn) error {
	if g.check == nil {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// Fail closed: an address we cannot read is not one we can vouch for.
		return fmt.Errorf("%w: unreadable address %q", ErrPrivateAddress, address)
	}
	return g.check(ap)
}

// checkPublic refuses every address that is not public unicast.
func checkPublic(ap netip.AddrPort) error {
	if a := ap.Addr(); !IsPublicAddr(a) {
		return &AddressError{Addr: a.WithZone("")}
	}
	return nil
}

// blockedPrefixes are the special-purpose ranges netip's predicates do not
// cover; ranges embedding an IPv4 address are handled in IsPublicAddr.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // CGNAT, shared address space
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, with 255.255.255.255 broadcast
	netip.MustParsePrefix("::/96"),          // IPv4-compatible (deprecated), :: and ::1
	netip.MustParsePrefix("100::/64"),       // discard-only
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("fec0::/10"),      // site-local (deprecated)
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("2001:10::/28"),   // ORCHID
	netip.MustParsePrefix("2001:20::/28"),   // ORCHIDv2
	netip.MustParsePrefix("192.88.99.0/24"), // 6to4 relay anycast (deprecated)
	netip.MustParsePrefix("255.255.255.255/32"),
	netip.MustParsePrefix("2001::/32"),       // Teredo: carries an IPv4 address (obfuscated)
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated (RFC 2765)
}

// sixToFour is 6to4 (RFC 3056): bits 16-47 are an IPv4 address, which a
// host with a 6to4 route reaches.
var sixToFour = netip.MustParsePrefix("2002::/16")

// nat64 is the well-known NAT64 prefix: its last 32 bits are an IPv4
// address, which is what the packet really reaches.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// IsPublicAddr reports whether a is a public unicast address, the only kind
// the guard lets the client connect to. Refused: loopback (127/8, ::1),
// 0/8, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local
// (169.254/16, fe80::/10), CGNAT 100.64/10, multicast, unspecified,
// broadcast, reserved and documentation ranges, and any IPv6 form that
// carries one of these IPv4 addresses (IPv4-mapped ::ffff:a.b.c.d,
// IPv4-compatible, NAT64 64:ff9b::a.b.c.d, 6to4 2002:aabb:ccdd::); Teredo
// and IPv4-translated addresses are refused whole.
func IsPublicAddr(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.WithZone("").Unmap()
	if nat64.Contains(a) {
		b := a.As16()
		return IsPublicAddr(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	if sixToFour.Contains(a) {
		b := a.As16()
		return IsPublicAddr(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() || a.IsMulticast() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	return true
}
