-- +goose Up
-- Issue 20.
--
-- Who placed a hold, by kind: the staff user's role, or a token, or the system. Releasing
-- a hold needs the right to place that kind of hold (domain.CheckRelease): warehouse staff
-- release what the warehouse held, not a fraud review that support or an admin placed.
-- Holds placed before this migration: a token's or the system's are known from their
-- history; a staff user's take the role of the one user of that name, and when that is
-- not one user, admin (only an admin may release them: the safe guess).
ALTER TABLE orders ADD COLUMN held_by_role text
    CHECK (held_by_role IN ('admin', 'support', 'warehouse', 'token', 'system'));
UPDATE orders o SET held_by_role = coalesce(
    (SELECT CASE h.actor_type
                WHEN 'token' THEN 'token'
                WHEN 'system' THEN 'system'
                WHEN 'staff' THEN (SELECT min(u.role) FROM staff_users u WHERE u.name = h.actor HAVING count(*) = 1)
            END
     FROM order_history h
     WHERE h.order_id = o.id AND h.kind = 'hold' AND h.status = 'on_hold'
     ORDER BY h.id DESC LIMIT 1),
    'admin')
WHERE o.hold_reason IS NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_hold_role_complete CHECK ((held_by_role IS NULL) = (held_at IS NULL));

-- What an order owes, by the one rule of internal/domain (Money.Balance): its total less
-- the money it holds (paid, less refunded and refunds on their way back), never below
-- zero. `oms check` uses it; a test keeps it equal to the Go rule.
-- +goose StatementBegin
CREATE FUNCTION oms_outstanding(total numeric, paid numeric, refunded numeric, refund_pending numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT greatest(total - (paid - refunded - refund_pending), 0)
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION oms_outstanding(numeric, numeric, numeric, numeric);
ALTER TABLE orders DROP CONSTRAINT orders_hold_role_complete, DROP COLUMN held_by_role;
