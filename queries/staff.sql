-- name: CreateStaffUser :one
INSERT INTO staff_users (email, name, role, password_hash) VALUES ($1, $2, $3, $4) RETURNING *;

-- name: GetStaffUser :one
SELECT * FROM staff_users WHERE id = $1;

-- name: ListStaffUsers :many
SELECT * FROM staff_users ORDER BY lower(name), lower(email);

-- name: GetStaffByEmail :one
SELECT * FROM staff_users WHERE lower(email) = lower($1);

-- name: ClaimLoginAttempt :one
-- Counts an attempt under key as failed before the password is compared, so that
-- parallel guesses cannot outrun the count; LoginSucceeded takes it back. Past free
-- failures (within the decay window) each one blocks the key for twice as long as the
-- last, up to max_block. A key still blocked is not counted: blocked says so, and the
-- caller refuses without comparing anything.
INSERT INTO login_throttle AS t (key, failures, updated_at) VALUES (sqlc.arg(key), 1, now())
ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN t.blocked_until > now() THEN t.failures
                    WHEN t.updated_at < now() - make_interval(secs => sqlc.arg(window_seconds)::int) THEN 1
                    ELSE t.failures + 1 END,
    blocked_until = CASE
        WHEN t.blocked_until > now() THEN t.blocked_until
        WHEN t.updated_at >= now() - make_interval(secs => sqlc.arg(window_seconds)::int) AND t.failures + 1 > sqlc.arg(free)::int
        THEN now() + make_interval(secs => least(sqlc.arg(max_block_seconds)::int, 2 ^ least(t.failures - sqlc.arg(free)::int, 20))::int)
        ELSE '-infinity' END,
    updated_at = CASE WHEN t.blocked_until > now() THEN t.updated_at ELSE now() END
RETURNING (xmax <> 0 AND blocked_until > now() AND updated_at < now())::boolean AS blocked;

-- name: LoginSucceeded :exec
-- A right password: the account's count starts over, the address's attempt is taken back.
UPDATE login_throttle SET failures = CASE WHEN key = sqlc.arg(account_key) THEN 0 ELSE greatest(failures - 1, 0) END,
    blocked_until = CASE WHEN key = sqlc.arg(account_key) THEN '-infinity' ELSE blocked_until END
WHERE key IN (sqlc.arg(account_key), sqlc.arg(address_key));

-- name: RecordLogin :one
UPDATE staff_users SET last_login_at = now() WHERE id = $1 RETURNING *;

-- name: LockActiveAdmins :many
-- Serialises changes that could leave the OMS without an active admin.
SELECT id FROM staff_users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE;

-- name: SetStaffRole :one
-- Each change of who may do what ends the user's sessions (session_version).
UPDATE staff_users SET role = $2, session_version = session_version + 1 WHERE id = $1 RETURNING *;

-- name: SetStaffDisabled :one
UPDATE staff_users SET disabled = $2, session_version = session_version + 1 WHERE id = $1 RETURNING *;

-- name: SetStaffPassword :one
UPDATE staff_users SET password_hash = $2, session_version = session_version + 1 WHERE id = $1 RETURNING *;

-- name: EndStaffSessions :one
UPDATE staff_users SET session_version = session_version + 1 WHERE id = $1 RETURNING *;

-- name: DeleteOldLoginThrottle :execrows
-- Keys with no attempt for the decay window and no block left start over anyway.
DELETE FROM login_throttle WHERE updated_at < sqlc.arg(before)::timestamptz AND blocked_until < now();
