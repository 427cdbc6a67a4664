-- name: CreateStaffUser :one
INSERT INTO staff_users (email, name, role, password_hash) VALUES ($1, $2, $3, $4) RETURNING *;

-- name: GetStaffUser :one
SELECT * FROM staff_users WHERE id = $1;

-- name: ListStaffUsers :many
SELECT * FROM staff_users ORDER BY lower(name), lower(email);

-- name: BeginLoginAttempt :one
-- Counts the attempt as failed before the password is compared, in one statement, so that
-- parallel guesses cannot outrun the lock: the max_failures-th attempt locks the account
-- for lock_seconds and a locked account matches no row. RecordLogin undoes the count.
UPDATE staff_users SET
    failed_logins = CASE WHEN failed_logins + 1 >= sqlc.arg(max_failures)::int THEN 0 ELSE failed_logins + 1 END,
    locked_until  = CASE WHEN failed_logins + 1 >= sqlc.arg(max_failures)::int
                         THEN now() + make_interval(secs => sqlc.arg(lock_seconds)::int) ELSE NULL END
WHERE lower(email) = lower(sqlc.arg(email)) AND (locked_until IS NULL OR locked_until <= now())
RETURNING *;

-- name: StaffLockedUntil :one
SELECT locked_until FROM staff_users WHERE lower(email) = lower($1) AND locked_until > now();

-- name: RecordLogin :one
UPDATE staff_users SET failed_logins = 0, locked_until = NULL, last_login_at = now()
WHERE id = $1 RETURNING *;

-- name: LockActiveAdmins :many
-- Serialises changes that could leave the OMS without an active admin.
SELECT id FROM staff_users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE;

-- name: SetStaffRole :one
UPDATE staff_users SET role = $2 WHERE id = $1 RETURNING *;

-- name: SetStaffDisabled :one
UPDATE staff_users SET disabled = $2 WHERE id = $1 RETURNING *;

-- name: SetStaffPassword :one
UPDATE staff_users SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE id = $1 RETURNING *;
