package webhook

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// fakeDNS is a DNS server of the test's own, on a loopback UDP port, that answers A and
// AAAA questions from answer (nil: the name does not exist). It lets the tests resolve
// host names to chosen addresses, and change the answer between two look-ups.
type fakeDNS struct {
	conn   net.PacketConn
	answer func(name string) []netip.Addr // called from the server's one goroutine
}

func startDNS(t *testing.T, answer func(name string) []netip.Addr) *fakeDNS {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDNS{conn: conn, answer: answer}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := d.respond(buf[:n]); resp != nil {
				conn.WriteTo(resp, from)
			}
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return d
}

// staticDNS answers from a fixed table of names (lowercase, no final dot).
func staticDNS(t *testing.T, table map[string][]string) *fakeDNS {
	return startDNS(t, func(name string) []netip.Addr {
		var addrs []netip.Addr
		for _, s := range table[name] {
			addrs = append(addrs, netip.MustParseAddr(s))
		}
		return addrs
	})
}

// resolver returns a resolver that asks only this server.
func (d *fakeDNS) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dialer net.Dialer
		return dialer.DialContext(ctx, "udp", d.conn.LocalAddr().String())
	}}
}

const (
	typeA    = 1
	typeAAAA = 28
)

// respond answers one query of one question (RFC 1035 §4.1), or returns nil.
func (d *fakeDNS) respond(q []byte) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:6]) != 1 {
		return nil
	}
	var labels []string
	i := 12
	for i < len(q) && q[i] != 0 {
		n := int(q[i])
		if n > 63 || i+1+n > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+n]))
		i += 1 + n
	}
	if i+5 > len(q) {
		return nil
	}
	qend := i + 5 // the root label, type and class
	qtype := binary.BigEndian.Uint16(q[i+1 : i+3])
	name := strings.ToLower(strings.Join(labels, "."))

	addrs := d.answer(name)
	var rdata [][]byte
	for _, a := range addrs {
		switch {
		case qtype == typeA && a.Is4():
			b := a.As4()
			rdata = append(rdata, b[:])
		case qtype == typeAAAA && a.Is6():
			b := a.As16()
			rdata = append(rdata, b[:])
		}
	}
	flags := uint16(0x8000 | 0x0400 | 0x0100 | 0x0080) // response, authoritative, recursion desired and available
	if addrs == nil {
		flags |= 3 // NXDOMAIN
	}
	resp := append([]byte{}, q[0:2]...)
	resp = binary.BigEndian.AppendUint16(resp, flags)
	resp = binary.BigEndian.AppendUint16(resp, 1)
	resp = binary.BigEndian.AppendUint16(resp, uint16(len(rdata)))
	resp = append(resp, 0, 0, 0, 0) // no authority, no additional records
	resp = append(resp, q[12:qend]...)
	for _, rd := range rdata {
		resp = append(resp, 0xc0, 12) // the name: a pointer to the question's
		resp = binary.BigEndian.AppendUint16(resp, qtype)
		resp = binary.BigEndian.AppendUint16(resp, 1) // class IN
		resp = binary.BigEndian.AppendUint32(resp, 0) // TTL 0: never cached
		resp = binary.BigEndian.AppendUint16(resp, uint16(len(rd)))
		resp = append(resp, rd...)
	}
	return resp
}

// useResolver makes CheckURL resolve with r for the rest of the test.
func useResolver(t *testing.T, r *net.Resolver) {
	old := resolver
	resolver = r
	t.Cleanup(func() { resolver = old })
}
