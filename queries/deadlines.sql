-- name: GetDeadlineSettings :one
SELECT * FROM deadline_settings;

-- name: LockDeadlineRules :one
-- The rules a payment computes a deadline with, under the shared lock (migration 00030's
-- oms_deadline_rules), and the transaction's time: the order's paid_at.
SELECT r.time_zone, r.hours, r.holidays, r.ship_within_hours, r.at_risk_hours, r.version,
       now()::timestamptz AS now
FROM oms_deadline_rules() r;

-- name: LockDeadlineRulesForChange :exec
-- Taken by a change of the rules: it waits for the payments computing a deadline with the
-- old ones, and payments wait for it.
SELECT pg_advisory_xact_lock(7310309413625620844);

-- name: UpdateDeadlineSettings :one
-- The version moves on when the deadlines change (recompute): the at-risk hours alone
-- change no deadline.
UPDATE deadline_settings SET time_zone = $1, hours = $2, holidays = $3, ship_within_hours = $4, at_risk_hours = $5,
    version = version + CASE WHEN sqlc.arg(recompute)::bool THEN 1 ELSE 0 END, updated_at = now()
RETURNING *;

-- name: InsertDeadlineRecompute :exec
INSERT INTO deadline_recomputes (version, total) VALUES ($1, $2);

-- name: ClaimDeadlineRecompute :one
-- Takes a recomputation for lease seconds: one not finished whose lease (if any) ran out.
UPDATE deadline_recomputes SET state = 'running', lease_until = now() + make_interval(secs => sqlc.arg(lease)::int)
WHERE version = $1 AND state IN ('queued', 'running') AND (lease_until IS NULL OR lease_until < now())
RETURNING *;

-- name: AdvanceDeadlineRecompute :exec
UPDATE deadline_recomputes SET done = done + sqlc.arg(n)::int,
    lease_until = now() + make_interval(secs => sqlc.arg(lease)::int)
WHERE version = $1;

-- name: FinishDeadlineRecompute :exec
UPDATE deadline_recomputes SET state = sqlc.arg(state)::text, finished_at = now(), lease_until = NULL,
    done = CASE WHEN sqlc.arg(state)::text = 'done' THEN greatest(done, total) ELSE done END
WHERE version = $1;

-- name: GetDeadlineRecompute :one
SELECT * FROM deadline_recomputes WHERE version = $1;

-- name: LatestDeadlineRecompute :one
SELECT * FROM deadline_recomputes ORDER BY version DESC LIMIT 1;

-- name: OpenOrderPage :many
-- One page of the orders waiting to ship, by id (which no change moves), on their own
-- small index: how a recomputation goes through them all exactly once.
SELECT o.id, o.created_at, o.paid_at, r.ship_within_hours AS rate_within FROM orders o
LEFT JOIN LATERAL (
    SELECT sr.ship_within_hours FROM shipping_rates sr
    WHERE sr.country IN (o.shipping_address->>'country', '*') AND sr.currency = o.currency
    ORDER BY sr.country = '*' LIMIT 1
) r ON true
WHERE o.status IN ('paid', 'processing') AND o.id > sqlc.arg(after)::uuid
ORDER BY o.id
LIMIT sqlc.arg(lim);

-- name: RateShipWithin :one
-- The deadline hours of an order's shipping rate (chosen as its price was: the rate of
-- its destination and currency, else the '*' one), NULL: the shop's rule.
SELECT r.ship_within_hours FROM orders o
LEFT JOIN LATERAL (
    SELECT sr.ship_within_hours FROM shipping_rates sr
    WHERE sr.country IN (o.shipping_address->>'country', '*') AND sr.currency = o.currency
    ORDER BY sr.country = '*' LIMIT 1
) r ON true
WHERE o.id = $1;

-- name: BumpDeadlineRules :one
-- A change of the deadlines outside the settings row (a shipping rate's hours): the rules
-- move to a new version, which the open orders are recomputed with.
UPDATE deadline_settings SET version = version + 1, updated_at = now() RETURNING *;

-- name: SetShipBy :execrows
-- Writes recomputed deadlines (none when clear: the rules have none), never over ones of
-- newer rules (a payment after the change computed them already) and only while the
-- order waits to ship.
UPDATE orders o SET ship_by = CASE WHEN sqlc.arg(clear)::bool THEN NULL ELSE v.ship_by END,
    ship_by_rules = sqlc.arg(version)::int
FROM (SELECT unnest(sqlc.arg(ids)::uuid[]) AS id, unnest(sqlc.arg(ship_bys)::timestamptz[]) AS ship_by) v
WHERE o.id = v.id AND o.status IN ('paid', 'processing')
  AND coalesce(o.ship_by_rules, 0) < sqlc.arg(version)::int;

-- name: MarkLateOrders :many
-- Claims up to lim orders whose deadline has passed and whose lateness was not published
-- yet, computed with the current rules (version): each is marked once, whoever runs this
-- at the same time (rows another transaction holds are left for the next run).
UPDATE orders o SET late_at = now()
WHERE o.id IN (
    SELECT l.id FROM orders l
    WHERE l.ship_by IS NOT NULL AND l.late_at IS NULL AND l.ship_by < now() AND l.ship_by_rules = sqlc.arg(version)::int
    ORDER BY l.ship_by
    LIMIT sqlc.arg(lim)
    FOR UPDATE SKIP LOCKED
) AND o.late_at IS NULL
RETURNING o.id, o.order_number, o.ship_by;

-- name: LateOrders :many
-- The late orders, the most overdue first, for the digest.
SELECT order_number, ship_by, late_at, customer_name, customer_email, total, currency
FROM orders WHERE ship_by IS NOT NULL AND ship_by < now()
ORDER BY ship_by, id
LIMIT $1;

-- name: CountLateSince :one
-- Orders marked late since since (what the digest calls new).
SELECT count(*) FROM orders WHERE ship_by IS NOT NULL AND ship_by < now() AND late_at >= sqlc.arg(since)::timestamptz;

-- name: LateDigestRecipients :many
SELECT s.id, s.email, s.name FROM late_digest_subscribers d JOIN staff_users s ON s.id = d.staff_id
WHERE NOT s.disabled ORDER BY s.email;

-- name: QueueLateDigest :execrows
-- One digest per recipient per day: its public id says which, and a second one for the
-- same day is refused by its uniqueness.
INSERT INTO messages (order_id, channel, kind, public_id, recipient, subject, text_body, html_body)
VALUES (NULL, 'email', 'late_digest', $1, $2, $3, $4, $5)
ON CONFLICT (public_id) DO NOTHING;

-- name: IsLateDigestSubscriber :one
SELECT EXISTS (SELECT 1 FROM late_digest_subscribers WHERE staff_id = $1)::bool;

-- name: SubscribeLateDigest :exec
INSERT INTO late_digest_subscribers (staff_id) VALUES ($1) ON CONFLICT DO NOTHING;

-- name: UnsubscribeLateDigest :exec
DELETE FROM late_digest_subscribers WHERE staff_id = $1;
