-- +goose Up
-- The second security pass (issue 20).

-- Logins are also throttled per account across addresses (login_throttle keys
-- "user:<lower email>"). So that nobody can keep an account's owner out by guessing on,
-- a browser that logged in to an account before is known to it (a cookie whose SHA-256
-- is token_hash) and counts its failures under a key of its own
-- ("device:<lower email>|<token_hash hex>") instead of the account's.
CREATE TABLE login_devices (
    token_hash     bytea NOT NULL,
    staff_user_id  uuid NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    last_login_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_hash, staff_user_id)
);
CREATE INDEX login_devices_user_idx ON login_devices (staff_user_id);
CREATE INDEX login_devices_last_login_idx ON login_devices (last_login_at);

-- +goose Down
DROP TABLE login_devices;
