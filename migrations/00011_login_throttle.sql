-- +goose Up
-- Login throttling per client address and per account-from-that-address, with backoff
-- (issue 11). A lockout per account alone let anyone keep any account, the last admin's
-- included, locked forever, and told real accounts from made-up ones; nothing limited
-- one address guessing many accounts. key is "ip:<address or IPv6 /64>" or
-- "account:<lower email>|<address>"; a key with no attempt for the decay window starts
-- over.
CREATE TABLE login_throttle (
    key            text PRIMARY KEY,
    failures       integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    blocked_until  timestamptz NOT NULL DEFAULT '-infinity',
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_throttle_updated_idx ON login_throttle (updated_at);
ALTER TABLE staff_users DROP COLUMN failed_logins, DROP COLUMN locked_until;
-- A session is good only while its user's session_version is the one it was made with:
-- a password reset, a role change, disabling and "log out everywhere" move it on.
ALTER TABLE staff_users ADD COLUMN session_version integer NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE staff_users DROP COLUMN session_version;
ALTER TABLE staff_users ADD COLUMN failed_logins integer NOT NULL DEFAULT 0, ADD COLUMN locked_until timestamptz;
DROP TABLE login_throttle;
