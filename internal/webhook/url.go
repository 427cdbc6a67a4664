package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxURLLength is the longest endpoint URL, in bytes.
const MaxURLLength = 2048

// ResolveTimeout bounds CheckURL's look-up of a host name.
const ResolveTimeout = 3 * time.Second

// ErrPrivateAddress matches (errors.Is) the error of CheckURL, or of a delivery, refused
// because the address is not public: loopback, private, link-local, and the like.
var ErrPrivateAddress = errors.New("not a public address")

// resolver is CheckURL's resolver; tests point it at a DNS server of their own.
var resolver = net.DefaultResolver

// urlError is an error about an endpoint URL whose message completes "url ...", to be
// shown beside the URL field (domain.FieldErrors{"url": err.Error()}).
type urlError struct {
	msg     string
	private bool
}

func (e *urlError) Error() string { return e.msg }

func (e *urlError) Is(target error) bool { return e.private && target == ErrPrivateAddress }

func invalidURL(format string, args ...any) error {
	return &urlError{msg: fmt.Sprintf(format, args...)}
}

func privateURL(format string, args ...any) error {
	return &urlError{msg: "must point to a public address: " + fmt.Sprintf(format, args...), private: true}
}

// CheckURL says whether raw may be a webhook endpoint's URL: an absolute http or https
// URL of at most MaxURLLength bytes, with a host, a port (if any) from 1 to 65535, no
// user name or password, and no spaces or control characters.
//
// Unless allowPrivate, the host must also be public: an IP address that is not
// loopback, private (RFC 1918, fc00::/7), link-local (169.254.0.0/16 with the cloud
// metadata address, fe80::/10), unspecified, multicast, shared (100.64.0.0/10) or
// otherwise reserved, nor such an address in an IPv6 form (::ffff:127.0.0.1, NAT64,
// 6to4); or a host name, other than localhost and *.localhost, that resolves (with
// net.DefaultResolver, within ResolveTimeout) to addresses that are all public. A name
// that does not resolve is refused. Where a name points at delivery time is checked
// again when the Client connects, so a name that later resolves to a private address
// (DNS rebinding) still cannot reach it.
//
// The error's message completes a sentence that starts with the field's name ("url
// must be an absolute http:// or https:// URL"); errors.Is(err, ErrPrivateAddress)
// tells the refusals of a host that is not public.
func CheckURL(raw string, allowPrivate bool) error {
	host, err := parseURL(raw)
	if err != nil || allowPrivate {
		return err
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		if kind := nonPublic(addr); kind != "" {
			return privateURL("%s is a private address (%s)", host, kind)
		}
		return nil
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return privateURL("%s is this server itself", host)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ResolveTimeout)
	defer cancel()
	addrs, err := resolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && (dnsErr.IsTimeout || dnsErr.IsTemporary) {
			return invalidURL("has a host name that could not be resolved just now (%s); try again", host)
		}
		return invalidURL("has a host name that does not resolve to an address (%s)", host)
	}
	for _, addr := range addrs {
		if kind := nonPublic(addr); kind != "" {
			return privateURL("%s resolves to %s, a private address (%s)", host, addr.Unmap(), kind)
		}
	}
	return nil
}

// parseURL makes CheckURL's checks that need no look-up, and returns the URL's host
// (without brackets or port).
func parseURL(raw string) (string, error) {
	if len(raw) > MaxURLLength {
		return "", invalidURL("must be at most %d characters long", MaxURLLength)
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", invalidURL("must not contain spaces or control characters")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" {
		return "", invalidURL("must be an absolute http:// or https:// URL")
	}
	if u.User != nil {
		return "", invalidURL("must not contain a user name or password")
	}
	host := u.Hostname()
	if host == "" {
		return "", invalidURL("must include a host name")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", invalidURL("must have a port from 1 to 65535")
		}
	}
	if strings.HasPrefix(u.Host, "[") {
		if _, err := netip.ParseAddr(host); err != nil {
			return "", invalidURL("has an invalid IPv6 address")
		}
		return host, nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return host, nil
	}
	return host, checkHostName(host)
}

// checkHostName accepts a DNS name in ASCII: labels of letters, digits, hyphens and
// underscores, at most 63 characters each and 253 in all, an optional final dot.
// A name whose last label is a number is refused: some software reads "127.1",
// "2130706433" or "0x7f.1" as IPv4 addresses.
func checkHostName(host string) error {
	name := strings.TrimSuffix(host, ".")
	if len(name) > 253 {
		return invalidURL("has a host name longer than 253 characters")
	}
	labels := strings.Split(name, ".")
	for _, label := range labels {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return invalidURL("has an invalid host name (%s)", host)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if c >= 0x80 {
				return invalidURL("must write an international domain name in its ASCII form (xn--...)")
			}
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return invalidURL("has an invalid host name (%s)", host)
			}
		}
	}
	last := strings.ToLower(labels[len(labels)-1])
	if strings.Trim(last, "0123456789") == "" ||
		strings.HasPrefix(last, "0x") && strings.Trim(last[2:], "0123456789abcdef") == "" {
		return invalidURL("has a host that is neither a host name nor an IP address in its usual form (%s)", host)
	}
	return nil
}

var (
	sharedV4 = netip.MustParsePrefix("100.64.0.0/10") // carrier-grade NAT, RFC 6598
	// Reserved IPv4 blocks (RFC 6890) that no public host has.
	reservedV4 = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),       // "this network"; 0.0.0.0 itself connects to this host
		netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
		netip.MustParsePrefix("192.0.2.0/24"),    // documentation
		netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast, deprecated
		netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
		netip.MustParsePrefix("198.51.100.0/24"), // documentation
		netip.MustParsePrefix("203.0.113.0/24"),  // documentation
		netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and 255.255.255.255 broadcast
	}
	globalV6  = netip.MustParsePrefix("2000::/3")
	nat64     = netip.MustParsePrefix("64:ff9b::/96") // well-known NAT64: an IPv4 address in the last 32 bits
	sixToFour = netip.MustParsePrefix("2002::/16")    // 6to4: an IPv4 address in bits 16 to 48
	// Blocks inside 2000::/3 that no public host has (or that tunnel to one unseen).
	reservedV6 = []netip.Prefix{
		netip.MustParsePrefix("2001::/32"),     // Teredo
		netip.MustParsePrefix("2001:2::/48"),   // benchmarking
		netip.MustParsePrefix("2001:10::/28"),  // ORCHID
		netip.MustParsePrefix("2001:20::/28"),  // ORCHIDv2
		netip.MustParsePrefix("2001:db8::/32"), // documentation
		netip.MustParsePrefix("3fff::/20"),     // documentation
	}
)

// nonPublic says what kind of address a is when it is not a public unicast address
// ("loopback", "link-local", ...), or "" when it is one.
func nonPublic(a netip.Addr) string {
	if a.Zone() != "" {
		return "scoped to an interface"
	}
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return "invalid"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private network"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsMulticast():
		return "multicast"
	}
	if a.Is4() {
		if sharedV4.Contains(a) {
			return "shared address space"
		}
		for _, p := range reservedV4 {
			if p.Contains(a) {
				return "reserved"
			}
		}
		return ""
	}
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return nonPublic(netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(a):
		return nonPublic(netip.AddrFrom4([4]byte(b[2:6])))
	case !globalV6.Contains(a):
		return "reserved"
	}
	for _, p := range reservedV6 {
		if p.Contains(a) {
			return "reserved"
		}
	}
	return ""
}
