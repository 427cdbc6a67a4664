package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/singleflight"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// tokenPrefix marks OMS API tokens so that leaked ones are easy to spot in logs and scans.
const tokenPrefix = "oms_"

// APIToken describes an integration's token; the secret itself is never stored.
type APIToken struct {
	ID         uuid.UUID
	Name       string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	Scopes     []domain.Scope // nil: the whole API
}

// CreateToken makes a new API token called name, limited to scopes (none: the whole
// API), and returns it in clear, the only time it is ever available.
func (s *Service) CreateToken(ctx context.Context, name string, scopes ...domain.Scope) (APIToken, string, error) {
	name = strings.TrimSpace(name)
	fe := domain.FieldErrors{}
	domain.ValidateName(fe, "name", name)
	if err := fe.Err(); err != nil {
		return APIToken{}, "", err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return APIToken{}, "", fmt.Errorf("token entropy: %w", err)
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(secret)
	hash := sha256.Sum256([]byte(token))
	var stored []string // NULL: the whole API
	for _, sc := range scopes {
		stored = append(stored, string(sc))
	}
	var row queries.ApiToken
	err := s.audited(ctx, domain.ActivityToken, func(q *queries.Queries) (string, map[string]any, error) {
		var err error
		if row, err = q.CreateAPIToken(ctx, queries.CreateAPITokenParams{
			Name: name, TokenHash: hash[:], Prefix: token[:len(tokenPrefix)+6], Scopes: stored}); err != nil {
			return "", nil, fmt.Errorf("create token: %w", err)
		}
		access := "every scope"
		if stored != nil {
			access = strings.Join(stored, ", ")
		}
		return "Created API token " + name + " (" + access + ")", map[string]any{"token_id": row.ID, "name": name, "scopes": stored}, nil
	})
	if err != nil {
		return APIToken{}, "", err
	}
	return tokenFromRow(row), token, nil
}

// ListTokens returns every API token, newest first.
func (s *Service) ListTokens(ctx context.Context) ([]APIToken, error) {
	rows, err := queries.New(s.pool).ListAPITokens(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out := make([]APIToken, len(rows))
	for i, r := range rows {
		out[i] = tokenFromRow(r)
	}
	return out, nil
}

// RevokeToken stops a token from working, at once in this process and within
// tokenCacheTTL in others.
func (s *Service) RevokeToken(ctx context.Context, id uuid.UUID) error {
	err := s.audited(ctx, domain.ActivityToken, func(q *queries.Queries) (string, map[string]any, error) {
		name, err := q.GetAPITokenName(ctx, id)
		if err != nil {
			return "", nil, notFound(err, "API token")
		}
		n, err := q.RevokeAPIToken(ctx, id)
		if err != nil {
			return "", nil, fmt.Errorf("revoke token: %w", err)
		}
		if n == 0 {
			return "", nil, domain.NotFound("API token")
		}
		return "Revoked API token " + name, map[string]any{"token_id": id, "name": name}, nil
	})
	if err != nil {
		return err
	}
	s.tokens.clear()
	return nil
}

// tokenCacheTTL bounds how long a revoked token may still work in another process. The
// cache keeps the hot path (every API request) off the database.
const tokenCacheTTL = 5 * time.Second

type tokenCache struct {
	mu      sync.Mutex
	entries map[[32]byte]tokenCacheEntry
	// lookups makes one database lookup per token at a time. A lookup records the
	// token's use on its row: when an entry expires under load, the requests arriving
	// meanwhile (dozens) would each update that row, one after another, each waiting for
	// the commit of the one before, and stall for as long.
	lookups singleflight.Group
}

type tokenCacheEntry struct {
	actor   domain.Actor
	ok      bool
	expires time.Time
}

func (c *tokenCache) get(h [32]byte, now time.Time) (tokenCacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[h]
	if !ok || now.After(e.expires) {
		return tokenCacheEntry{}, false
	}
	return e, true
}

func (c *tokenCache) put(h [32]byte, e tokenCacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) > 10_000 {
		c.entries = map[[32]byte]tokenCacheEntry{}
	}
	c.entries[h] = e
}

func (c *tokenCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = nil
}

// AuthenticateToken returns the actor of a valid, unrevoked token, or an unauthorized error.
func (s *Service) AuthenticateToken(ctx context.Context, token string) (domain.Actor, error) {
	unauthorized := domain.Errorf(domain.CodeUnauthorized, "missing or invalid API token")
	if !strings.HasPrefix(token, tokenPrefix) || len(token) > 200 {
		return domain.Actor{}, unauthorized
	}
	h := sha256.Sum256([]byte(token))
	now := s.now()
	if e, ok := s.tokens.get(h, now); ok {
		if !e.ok {
			return domain.Actor{}, unauthorized
		}
		return e.actor, nil
	}
	// The lookup serves every request waiting for it: one request going away must not
	// cancel it for the others, which wait only as long as they are wanted.
	lookup := s.tokens.lookups.DoChan(string(h[:]), func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenLookupTimeout)
		defer cancel()
		return s.lookUpToken(ctx, h, now)
	})
	var e tokenCacheEntry
	select {
	case r := <-lookup:
		if r.Err != nil {
			return domain.Actor{}, r.Err
		}
		e = r.Val.(tokenCacheEntry)
	case <-ctx.Done():
		return domain.Actor{}, ctx.Err()
	}
	if !e.ok {
		return domain.Actor{}, unauthorized
	}
	return e.actor, nil
}

// tokenLookupTimeout bounds a token's lookup, which no single request's deadline does.
const tokenLookupTimeout = 10 * time.Second

// lookUpToken reads the token of hash h, records its use, and caches the answer.
func (s *Service) lookUpToken(ctx context.Context, h [32]byte, now time.Time) (tokenCacheEntry, error) {
	e := tokenCacheEntry{expires: now.Add(tokenCacheTTL)}
	row, err := queries.New(s.pool).TouchAPIToken(ctx, h[:])
	switch {
	case err == nil:
		e.ok = true
		e.actor = domain.Actor{Type: domain.ActorToken, ID: row.ID.String(), Name: row.Name, Scopes: scopesOf(row.Scopes)}
	case notFound(err, "") == err:
		return tokenCacheEntry{}, fmt.Errorf("look up token: %w", err)
	}
	s.tokens.put(h, e)
	return e, nil
}

func tokenFromRow(r queries.ApiToken) APIToken {
	return APIToken{ID: r.ID, Name: r.Name, Prefix: r.Prefix, CreatedAt: r.CreatedAt,
		LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt, Scopes: scopesOf(r.Scopes)}
}

// scopesOf reads stored scopes: NULL (nil) is the whole API.
func scopesOf(stored []string) []domain.Scope {
	if stored == nil {
		return nil
	}
	out := make([]domain.Scope, len(stored))
	for i, s := range stored {
		out[i] = domain.Scope(s)
	}
	return out
}
