package webhook

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	dns := staticDNS(t, map[string][]string{
		"hooks.example.test":    {"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"},
		"intranet.example.test": {"10.1.2.3"},
		"mixed.example.test":    {"93.184.215.14", "127.0.0.1"},
		"metadata.example.test": {"169.254.169.254"},
		"v6local.example.test":  {"fd00::1"},
		"empty.example.test":    {}, // exists, no address
	})
	useResolver(t, dns.resolver())

	const (
		ok         = ""
		private    = "private"
		invalid    = "invalid"
		unresolved = "unresolved" // invalid, but allowPrivate looks nothing up
	)
	cases := []struct {
		url  string
		want string
	}{
		// Public, by address and by name.
		{"https://93.184.215.14/hook", ok},
		{"http://93.184.215.14:8080/hook?x=1#frag", ok},
		{"https://[2606:4700:4700::1111]/hook", ok},
		{"https://[64:ff9b::5db8:d70e]/", ok}, // NAT64 of 93.184.215.14
		{"https://hooks.example.test/webhooks/oms", ok},
		{"HTTPS://HOOKS.EXAMPLE.TEST./x", ok},
		{"https://8.8.8.8:443", ok},

		// Not public.
		{"http://127.0.0.1/", private},
		{"http://127.8.9.10:9000/", private},
		{"http://[::1]/", private},
		{"http://[::]/", private},
		{"http://localhost/", private},
		{"http://LOCALHOST.:8080/", private},
		{"http://api.localhost/", private},
		{"http://10.0.0.1/", private},
		{"http://192.168.1.10/", private},
		{"http://172.16.0.1/", private},
		{"http://172.31.255.255/", private},
		{"http://169.254.169.254/latest/meta-data/", private},
		{"http://[::ffff:127.0.0.1]/", private},
		{"http://[::ffff:7f00:1]/", private},
		{"http://[::ffff:169.254.169.254]/", private},
		{"http://[::127.0.0.1]/", private},
		{"http://[64:ff9b::7f00:1]/", private},
		{"http://[2002:7f00:1::]/", private}, // 6to4 of 127.0.0.1
		{"http://0.0.0.0/", private},
		{"http://0.1.2.3/", private},
		{"http://100.64.0.1/", private},
		{"http://100.127.255.255/", private},
		{"http://224.0.0.1/", private},
		{"http://255.255.255.255/", private},
		{"http://192.0.2.1/", private},
		{"http://[fe80::1]/", private},
		{"http://[fe80::1%25eth0]/", private},
		{"http://[fc00::1]/", private},
		{"http://[fd12:3456::1]/", private},
		{"http://[ff02::1]/", private},
		{"http://[2001:db8::1]/", private},
		{"http://intranet.example.test/", private},
		{"http://mixed.example.test/", private},
		{"http://metadata.example.test/", private},
		{"http://v6local.example.test/", private},

		// Not URLs an endpoint may have.
		{"ftp://93.184.215.14/hook", invalid},
		{"/webhooks", invalid},
		{"hooks.example.test/webhooks", invalid},
		{"//hooks.example.test/webhooks", invalid},
		{"https:hooks.example.test", invalid},
		{"https://", invalid},
		{"https:///path", invalid},
		{"javascript:alert(1)", invalid},
		{"", invalid},
		{"https://user:pass@hooks.example.test/", invalid},
		{"https://user@hooks.example.test/", invalid},
		{"https://hooks.example.test/" + strings.Repeat("a", MaxURLLength), invalid},
		{" https://hooks.example.test/", invalid},
		{"https://hooks.example.test/a b", invalid},
		{"https://hooks.example.test/\n", invalid},
		{"https://hooks.example.test:0/", invalid},
		{"https://hooks.example.test:65536/", invalid},
		{"https://hooks.example.test:http/", invalid},
		{"https://bücher.example/", invalid},
		{"https://-bad.example.test/", invalid},
		{"https://a..b.example/", invalid},
		{"https://127.1/", invalid},
		{"https://2130706433/", invalid},
		{"https://0x7f.0x0.0x0.0x1/", invalid},
		{"https://010.0.0.1/", invalid},
		{"https://[::1/", invalid},
		{"https://[hooks.example.test]/", invalid},
		{"https://nx.example.test/", unresolved},
		{"https://empty.example.test/", unresolved},
	}
	for _, c := range cases {
		err := CheckURL(c.url, false)
		var got string
		switch {
		case err == nil:
			got = ok
		case errors.Is(err, ErrPrivateAddress):
			got = private
		case strings.Contains(err.Error(), "resolve"):
			got = unresolved
		default:
			got = invalid
		}
		if got != c.want {
			t.Errorf("CheckURL(%.60q, false) = %v (%s), want %s", c.url, err, got, c.want)
		} else if err != nil {
			t.Logf("%-45.60q %v", c.url, err)
		}
		// allowPrivate accepts every address, and nothing more.
		err = CheckURL(c.url, true)
		if (err == nil) != (c.want != invalid) {
			t.Errorf("CheckURL(%q, true) = %v, want an error: %v", c.url, err, c.want == invalid)
		}
	}
}

func TestCheckURLMessages(t *testing.T) {
	for url, want := range map[string]string{
		"http://127.0.0.1:8080/hook":                       "must point to a public address: 127.0.0.1 is a private address (loopback)",
		"http://169.254.169.254/":                          "must point to a public address: 169.254.169.254 is a private address (link-local)",
		"http://localhost/":                                "must point to a public address: localhost is this server itself",
		"ftp://example.com/":                               "must be an absolute http:// or https:// URL",
		"https://u:p@example.com/":                         "must not contain a user name or password",
		"https://example.com/" + strings.Repeat("x", 3000): "must be at most 2048 characters long",
	} {
		if err := CheckURL(url, false); err == nil || err.Error() != want {
			t.Errorf("CheckURL(%.40q) = %v, want %q", url, err, want)
		}
	}
}

func TestNonPublicKinds(t *testing.T) {
	for addr, want := range map[string]string{
		"93.184.215.14":        "",
		"2606:4700:4700::1111": "",
		"127.0.0.1":            "loopback",
		"::1":                  "loopback",
		"::ffff:10.0.0.1":      "private network",
		"100.100.100.100":      "shared address space",
		"64:ff9b::a9fe:a9fe":   "link-local",      // NAT64 of 169.254.169.254
		"2002:c0a8:0101::1":    "private network", // 6to4 of 192.168.1.1
		"2002:5db8:d70e::1":    "",                // 6to4 of 93.184.215.14
		"2001:0:4136:e378::1":  "reserved",        // Teredo
		"fec0::1":              "reserved",        // site-local, deprecated
		"64:ff9b:1::a00:1":     "reserved",        // local-use NAT64
		"fe80::1%eth0":         "scoped to an interface",
		"198.18.0.1":           "reserved",
		"203.0.113.9":          "reserved",
	} {
		if got := nonPublic(netip.MustParseAddr(addr)); got != want {
			t.Errorf("nonPublic(%s) = %q, want %q", addr, got, want)
		}
	}
}
