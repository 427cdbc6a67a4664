-- name: SettleReservations :many
-- Settles an order's reserved stock for the given quantity of each line, oldest
-- reservation first: 'committed' when the units ship (Fulfill), 'released' when an edit
-- removes them (EditOrder). A reservation settled in part is split into a settled row and
-- the reserved rest. Answers what each line took from its reservations (a line missing
-- from the answer had none). The order row must be locked.
WITH want AS (
    SELECT (sqlc.arg(item_ids)::uuid[])[i] AS order_item_id, (sqlc.arg(quantities)::int[])[i] AS qty
    FROM generate_series(1, cardinality(sqlc.arg(item_ids)::uuid[])) AS i
), open AS (
    SELECT r.id, r.order_item_id, r.sku, r.quantity,
           coalesce(sum(r.quantity) OVER (PARTITION BY r.order_item_id ORDER BY r.created_at, r.id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::int AS before
    FROM inventory_reservations r JOIN want w ON w.order_item_id = r.order_item_id
    WHERE r.order_id = sqlc.arg(order_id) AND r.status = 'reserved'
), take AS (
    SELECT o.id, o.order_item_id, o.sku, o.quantity, least(o.quantity, greatest(w.qty - o.before, 0))::int AS take
    FROM open o JOIN want w ON w.order_item_id = o.order_item_id
), whole AS (
    UPDATE inventory_reservations r SET status = sqlc.arg(to_status)::text, updated_at = now()
    FROM take t WHERE r.id = t.id AND t.take = t.quantity
), part AS (
    UPDATE inventory_reservations r SET quantity = r.quantity - t.take, updated_at = now()
    FROM take t WHERE r.id = t.id AND t.take > 0 AND t.take < t.quantity
), split AS (
    INSERT INTO inventory_reservations (order_id, order_item_id, sku, quantity, status)
    SELECT sqlc.arg(order_id), t.order_item_id, t.sku, t.take, sqlc.arg(to_status)::text
    FROM take t WHERE t.take > 0 AND t.take < t.quantity
)
SELECT t.order_item_id, t.sku, sum(t.take)::int AS settled FROM take t WHERE t.take > 0 GROUP BY t.order_item_id, t.sku;

-- name: ShipStock :many
-- Shipped goods leave the warehouse: on_hand drops by what shipped and reserved by what
-- of it was reserved. SKU rows are locked in SKU order so that concurrent writers never
-- deadlock; a SKU missing from the answer lacked the stock (or the row).
WITH want AS (
    SELECT (sqlc.arg(skus)::text[])[i] AS sku, (sqlc.arg(shipped)::int[])[i] AS shipped,
           (sqlc.arg(from_reserved)::int[])[i] AS from_reserved
    FROM generate_series(1, cardinality(sqlc.arg(skus)::text[])) AS i
), locked AS (
    SELECT i.sku FROM inventory i WHERE i.sku = ANY(sqlc.arg(skus)::text[]) ORDER BY i.sku FOR UPDATE
)
UPDATE inventory inv SET on_hand = inv.on_hand - want.shipped, reserved = inv.reserved - want.from_reserved,
    updated_at = now()
FROM want JOIN locked ON locked.sku = want.sku
WHERE inv.sku = want.sku AND inv.reserved >= want.from_reserved
  AND inv.on_hand - want.shipped >= inv.reserved - want.from_reserved
RETURNING inv.sku;

-- name: AddFulfilledQuantities :exec
UPDATE order_items oi SET fulfilled_quantity = oi.fulfilled_quantity + w.qty
FROM (SELECT unnest(sqlc.arg(item_ids)::uuid[]) AS id, unnest(sqlc.arg(quantities)::int[]) AS qty) w
WHERE oi.id = w.id AND oi.order_id = sqlc.arg(order_id);

-- name: SetFulfillmentStatus :one
UPDATE orders SET fulfillment_status = $2, updated_at = now() WHERE id = $1 RETURNING *;

-- name: InsertFulfillment :one
WITH f AS (
    INSERT INTO fulfillments (order_id, carrier, tracking_number, tracking_url, notify_customer)
    VALUES (sqlc.arg(order_id), sqlc.arg(carrier), sqlc.arg(tracking_number), sqlc.arg(tracking_url), sqlc.arg(notify_customer))
    RETURNING *
), items AS (
    INSERT INTO fulfillment_items (fulfillment_id, order_item_id, quantity)
    SELECT f.id, w.id, w.qty
    FROM f, (SELECT unnest(sqlc.arg(item_ids)::uuid[]) AS id, unnest(sqlc.arg(quantities)::int[]) AS qty) w
)
SELECT * FROM f;

-- name: GetFulfillment :one
SELECT * FROM fulfillments WHERE id = $1;

-- name: InsertFulfillmentEvent :one
INSERT INTO fulfillment_events (fulfillment_id, status, description, at)
VALUES ($1, $2, $3, $4)
RETURNING *;

-- name: RefreshFulfillmentStatus :one
-- A shipment's status is that of its latest event by the carrier's time, so that events
-- arriving out of order cannot move it backwards; delivered_at is when that delivery was.
UPDATE fulfillments f SET status = latest.status,
    delivered_at = CASE WHEN latest.status = 'delivered' THEN latest.at END
FROM (
    SELECT e.status, e.at FROM fulfillment_events e WHERE e.fulfillment_id = sqlc.arg(id)
    ORDER BY e.at DESC, e.created_at DESC, e.id DESC LIMIT 1
) latest
WHERE f.id = sqlc.arg(id)
RETURNING f.*;

-- name: CountUndeliveredFulfillments :one
SELECT count(*)::int FROM fulfillments WHERE order_id = $1 AND status <> 'delivered';

-- name: FindOrderForCustomer :one
-- The public tracking lookup: one query for both "no such order" and "wrong email", so
-- that the two take the same work and cannot be told apart.
SELECT * FROM orders WHERE order_number = sqlc.arg(order_number) AND lower(customer_email) = lower(sqlc.arg(email)::text);
