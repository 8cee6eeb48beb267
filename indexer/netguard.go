package indexer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
)

// URLs given to papersearch must not turn it against the machine it runs
// on or the network behind it (SSRF): by default it connects only to
// public unicast addresses. The check runs in the dialer's Control hook,
// on the address about to be connected to, after DNS: a redirect to
// http://127.0.0.1/, a name that resolves to 10.0.0.1, or one whose DNS
// answer changes between a check and the connection (rebinding) all meet
// the same check at the one point where it cannot be bypassed.

// ErrPrivateAddress means a URL led to an address papersearch does not
// fetch from unless told to (--allow-private-urls).
var ErrPrivateAddress = errors.New("refusing to connect to a loopback, private, link-local or otherwise non-public address")

// nonPublic lists ranges that are not public unicast beyond what netip's
// predicates (loopback, private, link-local, multicast, unspecified)
// cover.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"; 0.0.0.0 reaches the host itself
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // old site-local
}

// embedsIPv4 lists IPv6 ranges whose addresses carry an IPv4 address that
// the network may route to: the embedded address is checked too.
var embedsIPv4 = []struct {
	prefix netip.Prefix
	offset int // byte offset of the IPv4 address
}{
	{netip.MustParsePrefix("64:ff9b::/96"), 12}, // NAT64
	{netip.MustParsePrefix("2002::/16"), 2},     // 6to4
}

// PublicAddr reports whether papersearch may connect to ip when private
// addresses are not allowed.
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	if ip.Is6() {
		b := ip.As16()
		for _, e := range embedsIPv4 {
			if e.prefix.Contains(ip) {
				v4 := netip.AddrFrom4([4]byte(b[e.offset : e.offset+4]))
				if !PublicAddr(v4) {
					return false
				}
			}
		}
	}
	return true
}

// guard decides which addresses a client may connect to.
type guard struct {
	allow func(netip.Addr) bool
}

// control is a net.Dialer Control function: address is the IP and port
// about to be connected to.
func (g guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot read address %q", ErrPrivateAddress, address)
	}
	if !g.allow(ap.Addr()) {
		return fmt.Errorf("%w: %s (use --allow-private-urls to fetch from your own network)", ErrPrivateAddress, ap.Addr().Unmap())
	}
	return nil
}

// checkHost refuses host names that are numbers in a form other than the
// usual dotted quad ("2130706433", "0x7f.1", "127.1", "017700000001"): C
// resolvers read them as addresses, Go's may not, and no real site is
// named so. Refusing them outright keeps the answer the same everywhere.
func checkHost(host string) error {
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return nil // a plain address; Control checks it
	}
	if looksNumeric(host) {
		return fmt.Errorf("%w: %q is a number, not a host name", ErrPrivateAddress, host)
	}
	return nil
}

// looksNumeric reports whether every dot-separated part of host is a
// decimal, octal or hex number, as inet_aton accepts.
func looksNumeric(host string) bool {
	host = strings.TrimSuffix(host, ".")
	if host == "" {
		return false
	}
	for part := range strings.SplitSeq(host, ".") {
		p := strings.ToLower(part)
		base := 10
		switch {
		case strings.HasPrefix(p, "0x"):
			p, base = p[2:], 16
		case len(p) > 1 && p[0] == '0':
			base = 8
		}
		if p == "" {
			if base == 16 {
				continue // "0x" alone is 0 to inet_aton
			}
			return false
		}
		if _, err := strconv.ParseUint(p, base, 64); err != nil {
			return false
		}
	}
	return true
}

// NewGuardedHTTPClient returns the client for URLs that users hand to
// papersearch: NewHTTPClient's timeouts and redirect limit, connecting
// only to public addresses unless allowPrivate. It connects directly,
// ignoring HTTP_PROXY and friends, since a proxy would make the
// connections the guard cannot see; with allowPrivate the environment's
// proxy is used as NewHTTPClient does.
func NewGuardedHTTPClient(allowPrivate bool) *http.Client {
	if allowPrivate {
		return NewHTTPClient()
	}
	return newGuardedClient(guard{allow: PublicAddr})
}

func newGuardedClient(g guard) *http.Client {
	c := NewHTTPClient()
	dialer := &net.Dialer{Timeout: FetchTimeout, Control: g.control}
	t := c.Transport.(*http.Transport)
	t.Proxy = nil
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if err := checkHost(host); err != nil {
			return nil, err
		}
		return dialer.DialContext(ctx, network, addr)
	}
	return c
}
