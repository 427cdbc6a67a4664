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

-- name: LoginBlocked :one
-- Whether any of an attempt's keys is blocked: then it is refused and counted nowhere,
-- without a write (the cheap path of a guessing run).
SELECT EXISTS (SELECT 1 FROM login_throttle WHERE key = ANY(sqlc.arg(keys)::text[]) AND blocked_until > now())::bool;

-- name: LoginSucceeded :exec
-- A right password: the account's counts start over (reset_keys), the address's attempt
-- is taken back.
UPDATE login_throttle SET failures = CASE WHEN key = ANY(sqlc.arg(reset_keys)::text[]) THEN 0 ELSE greatest(failures - 1, 0) END,
    blocked_until = CASE WHEN key = ANY(sqlc.arg(reset_keys)::text[]) THEN '-infinity' ELSE blocked_until END
WHERE key = ANY(sqlc.arg(reset_keys)::text[]) OR key = sqlc.arg(address_key);

-- name: ResetLoginThrottle :exec
DELETE FROM login_throttle WHERE key = $1;

-- name: LoginDeviceKnown :one
-- Whether the browser holding the device cookie of token_hash logged in to the account
-- of email before.
SELECT EXISTS (
    SELECT 1 FROM login_devices d JOIN staff_users u ON u.id = d.staff_user_id
    WHERE d.token_hash = sqlc.arg(token_hash) AND lower(u.email) = lower(sqlc.arg(email))
)::bool;

-- name: RememberLoginDevice :exec
INSERT INTO login_devices (token_hash, staff_user_id) VALUES ($1, $2)
ON CONFLICT (token_hash, staff_user_id) DO UPDATE SET last_login_at = now();

-- name: ForgetLoginDevices :exec
DELETE FROM login_devices WHERE staff_user_id = $1;

-- name: DeleteOldLoginDevices :execrows
DELETE FROM login_devices WHERE last_login_at < sqlc.arg(before)::timestamptz;

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
