package webhook

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The test vector the Standard Webhooks libraries share (TestSign in
// libraries/go/webhook_test.go of github.com/standard-webhooks/standard-webhooks, and
// the same values in its JavaScript, Python, PHP, Ruby and C# tests).
const (
	vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTS     = 1614265330
	vectorBody   = `{"test": 2432232314}`
	vectorSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignPublishedVector(t *testing.T) {
	got, err := Sign(vectorSecret, vectorID, time.Unix(vectorTS, 0), []byte(vectorBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != vectorSig {
		t.Fatalf("Sign = %q, want %q", got, vectorSig)
	}
	h := headers(vectorID, vectorTS, vectorSig)
	if err := Verify(vectorSecret, h, []byte(vectorBody), time.Unix(vectorTS+10, 0), 0); err != nil {
		t.Fatalf("Verify of the published vector: %v", err)
	}
}

func headers(id string, ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, sig)
	return h
}

func TestNewSecret(t *testing.T) {
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSecret()
	if a == b {
		t.Fatal("two secrets alike")
	}
	enc, ok := strings.CutPrefix(a, "whsec_")
	if !ok {
		t.Fatalf("secret %q lacks whsec_", a)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(key) != 32 {
		t.Fatalf("secret %q: %d bytes, %v", a, len(key), err)
	}
}

func TestNewMessageID(t *testing.T) {
	a, b := NewMessageID(), NewMessageID()
	if a == b {
		t.Fatal("two ids alike")
	}
	raw, ok := strings.CutPrefix(a, "msg_")
	if !ok {
		t.Fatalf("id %q lacks msg_", a)
	}
	if dec, err := base64.RawURLEncoding.DecodeString(raw); err != nil || len(dec) != 16 {
		t.Fatalf("id %q: %v", a, err)
	}
	if err := checkMessageID(a); err != nil {
		t.Fatalf("Sign would refuse NewMessageID's %q: %v", a, err)
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	secret, _ := NewSecret()
	id := NewMessageID()
	now := time.Now()
	body := []byte(`{"id":"evt_1","type":"order.created","data":{}}`)
	sig, err := Sign(secret, id, now, body)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(secret, headers(id, now.Unix(), sig), body, now, 0); err != nil {
		t.Fatal(err)
	}
	// A header map built by hand with the lowercase names, as the specification spells them.
	raw := http.Header{HeaderID: {id}, HeaderTimestamp: {strconv.FormatInt(now.Unix(), 10)}, HeaderSignature: {sig}}
	if err := Verify(secret, raw, body, now, 0); err != nil {
		t.Fatalf("lowercase header keys: %v", err)
	}
}

func TestVerifySeveralSignatures(t *testing.T) {
	oldSecret, _ := NewSecret()
	newSecret, _ := NewSecret()
	id, now, body := NewMessageID(), time.Now(), []byte(`{}`)
	oldSig, _ := Sign(oldSecret, id, now, body)
	newSig, _ := Sign(newSecret, id, now, body)
	asym := "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="
	for _, sigs := range []string{
		oldSig + " " + newSig,
		newSig + " " + oldSig,
		asym + "  " + newSig, // another scheme first, two spaces
		"v1,!!notbase64 " + newSig,
		"garbage " + newSig,
	} {
		if err := Verify(newSecret, headers(id, now.Unix(), sigs), body, now, 0); err != nil {
			t.Errorf("%q: %v", sigs, err)
		}
	}
	// The signatures split over two header lines.
	h := headers(id, now.Unix(), oldSig)
	h.Add(HeaderSignature, newSig)
	if err := Verify(newSecret, h, body, now, 0); err != nil {
		t.Errorf("two header lines: %v", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	secret, _ := NewSecret()
	other, _ := NewSecret()
	id, now, body := NewMessageID(), time.Unix(1_700_000_000, 0), []byte(`{"amount":"10.00"}`)
	sig, _ := Sign(secret, id, now, body)
	good := func() http.Header { return headers(id, now.Unix(), sig) }
	with := func(name, value string) http.Header {
		h := good()
		if value == "" {
			h.Del(name)
		} else {
			h.Set(name, value)
		}
		return h
	}
	tsSig := func(ts time.Time) http.Header { // honestly signed, at another time
		s, _ := Sign(secret, id, ts, body)
		return headers(id, ts.Unix(), s)
	}
	cases := []struct {
		name   string
		secret string
		h      http.Header
		body   string
		tol    time.Duration
		want   error
	}{
		{"tampered body", secret, good(), `{"amount":"99.00"}`, 0, ErrNoMatch},
		{"body with a byte added", secret, good(), string(body) + "\n", 0, ErrNoMatch},
		{"wrong secret", other, good(), string(body), 0, ErrNoMatch},
		{"other message id", secret, with(HeaderID, NewMessageID()), string(body), 0, ErrNoMatch},
		{"timestamp changed by a second", secret, with(HeaderTimestamp, strconv.FormatInt(now.Unix()+1, 10)), string(body), 0, ErrNoMatch},
		{"signature of another scheme only", secret, with(HeaderSignature, "v1a,"+strings.TrimPrefix(sig, "v1,")), string(body), 0, ErrNoMatch},
		{"signature with no scheme", secret, with(HeaderSignature, strings.TrimPrefix(sig, "v1,")), string(body), 0, ErrNoMatch},
		{"truncated signature", secret, with(HeaderSignature, sig[:len(sig)-4]), string(body), 0, ErrNoMatch},
		{"old timestamp", secret, tsSig(now.Add(-DefaultTolerance - time.Second)), string(body), 0, ErrTimestampRange},
		{"future timestamp", secret, tsSig(now.Add(DefaultTolerance + time.Second)), string(body), 0, ErrTimestampRange},
		{"old for a tolerance of its own", secret, tsSig(now.Add(-61 * time.Second)), string(body), time.Minute, ErrTimestampRange},
		{"timestamp far in the past", secret, with(HeaderTimestamp, "-9223372036854775808"), string(body), 0, ErrTimestampRange},
		{"timestamp not a number", secret, with(HeaderTimestamp, "2024-01-01T00:00:00Z"), string(body), 0, ErrInvalidTimestamp},
		{"timestamp in milliseconds overflowing", secret, with(HeaderTimestamp, "99999999999999999999"), string(body), 0, ErrInvalidTimestamp},
		{"no id", secret, with(HeaderID, ""), string(body), 0, ErrMissingHeader},
		{"no timestamp", secret, with(HeaderTimestamp, ""), string(body), 0, ErrMissingHeader},
		{"no signature", secret, with(HeaderSignature, ""), string(body), 0, ErrMissingHeader},
		{"blank signature", secret, with(HeaderSignature, "   "), string(body), 0, ErrMissingHeader},
		{"no headers", secret, http.Header{}, string(body), 0, ErrMissingHeader},
		{"secret without whsec_", strings.TrimPrefix(secret, "whsec_"), good(), string(body), 0, ErrInvalidSecret},
	}
	for _, c := range cases {
		err := Verify(c.secret, c.h, []byte(c.body), now, c.tol)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
		}
	}
	// At the edges of the tolerance, both ways: accepted.
	for _, ts := range []time.Time{now.Add(-DefaultTolerance), now.Add(DefaultTolerance)} {
		if err := Verify(secret, tsSig(ts), body, now, 0); err != nil {
			t.Errorf("timestamp %v from now: %v", ts.Sub(now), err)
		}
	}
}

func TestSignRefuses(t *testing.T) {
	secret, _ := NewSecret()
	short := "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 16))
	long := "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 65))
	for _, c := range []struct {
		secret, id string
		want       error
	}{
		{"", "msg_1", ErrInvalidSecret},
		{"whsec_", "msg_1", ErrInvalidSecret},
		{"whsec_not base64!", "msg_1", ErrInvalidSecret},
		{strings.TrimPrefix(secret, "whsec_"), "msg_1", ErrInvalidSecret},
		{short, "msg_1", ErrInvalidSecret},
		{long, "msg_1", ErrInvalidSecret},
		{secret, "", ErrInvalidMessageID},
		{secret, "msg.1", ErrInvalidMessageID},
		{secret, "msg 1", ErrInvalidMessageID},
		{secret, "msg_1\r\nX-Injected: 1", ErrInvalidMessageID},
		{secret, "msg_é", ErrInvalidMessageID},
		{secret, strings.Repeat("m", 257), ErrInvalidMessageID},
	} {
		if _, err := Sign(c.secret, c.id, time.Now(), nil); !errors.Is(err, c.want) {
			t.Errorf("Sign(%q, %q) = %v, want %v", c.secret, c.id, err, c.want)
		}
	}
	// The specification's bounds themselves are keys.
	for _, n := range []int{24, 64} {
		s := "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, n))
		if _, err := Sign(s, "msg_1", time.Now(), nil); err != nil {
			t.Errorf("a key of %d bytes: %v", n, err)
		}
	}
}
