// Package webhook holds the primitives of outbound webhooks (API.md §6): endpoint
// secrets and the signature of the Standard Webhooks specification
// (https://www.standardwebhooks.com/), the check of the URLs an endpoint may have,
// and the HTTP client that delivers one message.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a signed message (Standard Webhooks, "Webhook headers").
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a message's timestamp may be from the receiver's clock,
// either way, when Verify is given no tolerance of its own.
const DefaultTolerance = 5 * time.Minute

const (
	secretPrefix = "whsec_"
	// The specification asks for a random key of 24 to 64 bytes.
	minSecretBytes, maxSecretBytes = 24, 64
	newSecretBytes                 = 32
	maxMessageIDLen                = 256
)

// Errors of Sign and Verify, for errors.Is; the errors returned say more.
var (
	ErrInvalidSecret    = errors.New("invalid webhook secret")
	ErrInvalidMessageID = errors.New("invalid webhook message id")
	ErrMissingHeader    = errors.New("missing webhook header")
	ErrInvalidTimestamp = errors.New("invalid webhook timestamp")
	ErrTimestampRange   = errors.New("webhook timestamp outside the tolerance")
	ErrNoMatch          = errors.New("no webhook signature matches")
)

// NewSecret returns a new endpoint secret: "whsec_" and the standard base64 of 32
// random bytes.
func NewSecret() (string, error) {
	key := make([]byte, newSecretBytes)
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

// NewMessageID returns a new message id: "msg_" and 128 random bits in unpadded
// URL-safe base64. The id stays the same for every attempt to deliver the message.
func NewMessageID() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails: crypto/rand.Read crashes the program rather than return an error
	return "msg_" + base64.RawURLEncoding.EncodeToString(b)
}

// Sign returns the signature of body, sent as message msgID at ts, under secret:
// "v1," and the standard base64 of the HMAC-SHA256 of "{msgID}.{ts in Unix seconds}.{body}",
// keyed with the bytes the secret's base64 (after "whsec_") encodes.
//
// The message id must not contain a full stop (the specification's warning: a dot in
// it would let one signed content be read as another), nor spaces or control characters.
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	if err := checkMessageID(msgID); err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, msgID, ts.Unix(), body)), nil
}

// Verify checks a received message as its receiver would: the webhook-id,
// webhook-timestamp and webhook-signature headers are present, the timestamp is within
// tolerance of now either way (DefaultTolerance when tolerance <= 0), and one of the
// space-separated signatures is a "v1" signature of body under secret (compared in
// constant time; signatures of other schemes, such as "v1a", are skipped).
// The error wraps one of ErrInvalidSecret, ErrMissingHeader, ErrInvalidTimestamp,
// ErrTimestampRange or ErrNoMatch.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := decodeSecret(secret)
	if err != nil {
		return err
	}
	msgID, tsText := header(h, HeaderID), header(h, HeaderTimestamp)
	sigs := strings.Fields(strings.Join(headerValues(h, HeaderSignature), " "))
	switch {
	case msgID == "":
		return fmt.Errorf("%w: %s", ErrMissingHeader, HeaderID)
	case tsText == "":
		return fmt.Errorf("%w: %s", ErrMissingHeader, HeaderTimestamp)
	case len(sigs) == 0:
		return fmt.Errorf("%w: %s", ErrMissingHeader, HeaderSignature)
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not a number of seconds", ErrInvalidTimestamp, tsText)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	// In seconds, and with no subtraction that a timestamp far off could overflow.
	if n, limit := now.Unix(), int64(tolerance/time.Second); ts < n-limit || ts > n+limit {
		return fmt.Errorf("%w: %d is more than %v from now (%d)", ErrTimestampRange, ts, tolerance, n)
	}
	want := mac(key, msgID, ts, body)
	for _, sig := range sigs {
		version, value, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrNoMatch
}

func mac(key []byte, msgID string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msgID))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

func decodeSecret(secret string) ([]byte, error) {
	encoded, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: it does not start with %q", ErrInvalidSecret, secretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, fmt.Errorf("%w: what follows %q is not standard base64", ErrInvalidSecret, secretPrefix)
	}
	if len(key) < minSecretBytes || len(key) > maxSecretBytes {
		return nil, fmt.Errorf("%w: a key of %d bytes, not %d to %d", ErrInvalidSecret, len(key), minSecretBytes, maxSecretBytes)
	}
	return key, nil
}

func checkMessageID(id string) error {
	if id == "" || len(id) > maxMessageIDLen {
		return fmt.Errorf("%w: it must have 1 to %d characters", ErrInvalidMessageID, maxMessageIDLen)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || c == '.' {
			return fmt.Errorf("%w: %q has a full stop, a space or a character outside printable ASCII", ErrInvalidMessageID, id)
		}
	}
	return nil
}

// header and headerValues read h by the canonical form of name and, failing that, by
// name as it is (a header map a caller built by hand may hold the lowercase key).
func header(h http.Header, name string) string {
	if v := headerValues(h, name); len(v) > 0 {
		return v[0]
	}
	return ""
}

func headerValues(h http.Header, name string) []string {
	if v := h.Values(name); len(v) > 0 {
		return v
	}
	return h[name]
}
