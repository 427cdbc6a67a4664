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

-- Request rate limits shared by every process (the public tracking lookups and
-- customers' returns), as GCRA: tat is the key's theoretical arrival time, the moment its
-- budget is whole again. UNLOGGED: a rate limit is not worth a WAL write per request,
-- and after a crash every budget starting whole is harmless.
CREATE UNLOGGED TABLE rate_limits (
    key  text PRIMARY KEY,
    tat  timestamptz NOT NULL
);

-- Customers are told when a return is requested in their name, so that they learn of
-- one they did not make.
ALTER TABLE email_templates DROP CONSTRAINT email_templates_kind_check,
    ADD CONSTRAINT email_templates_kind_check CHECK (kind IN ('order_confirmed', 'shipped', 'delivered', 'cancelled',
        'refund_issued', 'return_requested', 'return_approved', 'return_received'));
INSERT INTO email_templates (kind, subject, body) VALUES
('return_requested', 'A return was requested for order {order_number}',
 E'Hello {customer_name},\n\na return of the items below from your order {order_number} was requested. We will write again once we have looked at it.\n\nIf you did not ask for this return, please reply to this email.');

-- +goose Down
DELETE FROM email_templates WHERE kind = 'return_requested';
ALTER TABLE email_templates DROP CONSTRAINT email_templates_kind_check,
    ADD CONSTRAINT email_templates_kind_check CHECK (kind IN ('order_confirmed', 'shipped', 'delivered', 'cancelled',
        'refund_issued', 'return_approved', 'return_received'));
DROP TABLE rate_limits, login_devices;
