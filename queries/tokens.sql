-- name: CreateAPIToken :one
INSERT INTO api_tokens (name, token_hash, prefix, scopes) VALUES ($1, $2, $3, $4) RETURNING *;

-- name: ListAPITokens :many
SELECT * FROM api_tokens ORDER BY created_at DESC;

-- name: RevokeAPIToken :execrows
UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL;

-- name: TouchAPIToken :one
-- Looks a token up by hash and records its use; the service caches the answer for a few seconds.
UPDATE api_tokens SET last_used_at = now()
WHERE token_hash = $1 AND revoked_at IS NULL
RETURNING id, name, scopes;
