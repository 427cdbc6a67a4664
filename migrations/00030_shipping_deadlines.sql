-- +goose Up
-- Shipping deadlines (issue 28). The shop's business hours and its rule, "ship within N
-- business hours of payment", live in one row; each paid order keeps its deadline in
-- orders.ship_by, computed in Go (internal/domain, AddBusinessHours) in the transaction
-- that makes it paid, and cleared when it ships or is cancelled, so that ship_by is set
-- exactly while the order is paid and unshipped (paid or processing).
CREATE TABLE deadline_settings (
    id                 boolean PRIMARY KEY DEFAULT true CHECK (id),
    time_zone          text NOT NULL CHECK (char_length(time_zone) BETWEEN 1 AND 64),
    -- {"mon": ["09:00", "17:00"], ..., "sun": null}: one window per weekday, local time
    hours              jsonb NOT NULL CHECK (jsonb_typeof(hours) = 'object'),
    holidays           date[] NOT NULL DEFAULT '{}' CHECK (cardinality(holidays) <= 400),
    -- NULL: no deadlines
    ship_within_hours  numeric(7,2) CHECK (ship_within_hours > 0),
    at_risk_hours      numeric(7,2) NOT NULL DEFAULT 4 CHECK (at_risk_hours >= 0),
    -- Moves on with every change: the orders' ship_by_rules says which one computed them.
    version            integer NOT NULL DEFAULT 1,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
INSERT INTO deadline_settings (time_zone, hours) VALUES ('UTC',
    '{"mon": ["09:00", "17:00"], "tue": ["09:00", "17:00"], "wed": ["09:00", "17:00"], "thu": ["09:00", "17:00"],
      "fri": ["09:00", "17:00"], "sat": null, "sun": null}');

-- The rules as a payment reads them: under a shared lock that a change of the rules takes
-- exclusively, so that no payment computes a deadline with rules that changed while it
-- ran (the change waits for it, and the recomputation after the change sees its order).
-- A volatile function: its SELECT takes a snapshot after the lock is granted.
-- +goose StatementBegin
CREATE FUNCTION oms_deadline_rules() RETURNS SETOF deadline_settings LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(7310309413625620844);
    RETURN QUERY SELECT * FROM deadline_settings;
END $$;
-- +goose StatementEnd

-- ship_by_rules: the version of the rules ship_by was computed with (a recomputation
-- never overwrites a newer one); late_at: when order.late was published for it (once).
ALTER TABLE orders ADD COLUMN ship_by timestamptz,
    ADD COLUMN ship_by_rules integer,
    ADD COLUMN late_at timestamptz;
-- The list's sla filters, the warehouse queue's sort and the dashboard's counts: only the
-- orders waiting to ship are in it, a few thousand however many orders there are.
CREATE INDEX orders_ship_by_idx ON orders (ship_by, id) WHERE ship_by IS NOT NULL;
-- The orders waiting to ship, by a key no change moves: a recomputation of their
-- deadlines goes through them in this order.
CREATE INDEX orders_open_idx ON orders (id) WHERE status IN ('paid', 'processing');
-- The orders whose lateness is still to be published: they leave it once it is.
CREATE INDEX orders_late_pending_idx ON orders (ship_by) WHERE ship_by IS NOT NULL AND late_at IS NULL;

-- A change of the rules recomputes every open order's deadline in a job, batch by batch;
-- the settings page shows its progress.
CREATE TABLE deadline_recomputes (
    version      integer PRIMARY KEY,
    total        integer NOT NULL DEFAULT 0 CHECK (total >= 0),
    done         integer NOT NULL DEFAULT 0 CHECK (done >= 0),
    state        text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'superseded')),
    -- The runner holding it (a request for a small shop, else the job) until then.
    lease_until  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);

-- Staff who asked for the daily email of late orders.
CREATE TABLE late_digest_subscribers (
    staff_id    uuid PRIMARY KEY REFERENCES staff_users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The daily digest goes through the outbox like every email, about no one order.
ALTER TABLE messages ALTER COLUMN order_id DROP NOT NULL,
    ADD CONSTRAINT messages_order_or_digest CHECK ((order_id IS NULL) = (kind = 'late_digest'));

-- History records when an order's deadline passed.
ALTER TABLE order_history DROP CONSTRAINT order_history_kind_check,
    ADD CONSTRAINT order_history_kind_check
        CHECK (kind IN ('status', 'payment', 'fulfillment', 'refund', 'return', 'comment', 'notification', 'tags', 'hold',
                        'edit', 'deadline'));

-- +goose Down
DELETE FROM order_history WHERE kind = 'deadline';
ALTER TABLE order_history DROP CONSTRAINT order_history_kind_check,
    ADD CONSTRAINT order_history_kind_check
        CHECK (kind IN ('status', 'payment', 'fulfillment', 'refund', 'return', 'comment', 'notification', 'tags', 'hold', 'edit'));
DELETE FROM messages WHERE order_id IS NULL;
ALTER TABLE messages DROP CONSTRAINT messages_order_or_digest, ALTER COLUMN order_id SET NOT NULL;
DROP TABLE late_digest_subscribers, deadline_recomputes;
DROP INDEX orders_late_pending_idx;
DROP INDEX orders_open_idx;
DROP INDEX orders_ship_by_idx;
ALTER TABLE orders DROP COLUMN late_at, DROP COLUMN ship_by_rules, DROP COLUMN ship_by;
DROP FUNCTION oms_deadline_rules();
DROP TABLE deadline_settings;
