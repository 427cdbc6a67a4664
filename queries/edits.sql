-- Order edits (service/order_edits.go). Every statement here runs under the order's row
-- lock (LockOrder), in the edit's one transaction.

-- name: DestinationRates :one
-- What an order's destination costs now: the tax rate of its country (and region) and
-- the shipping rate for its currency (0 when none is set), as PricingContext reads them
-- for a new order.
SELECT coalesce((SELECT tr.rate FROM tax_rates tr
                 WHERE tr.country = sqlc.arg(country)::text AND tr.region IN ('', sqlc.arg(region)::text)
                 ORDER BY tr.region DESC LIMIT 1), 0)::numeric AS tax_rate,
       coalesce(s.amount, 0)::numeric AS shipping_amount, s.free_above AS shipping_free_above
FROM (SELECT 1) one
LEFT JOIN LATERAL (
    SELECT sr.amount, sr.free_above FROM shipping_rates sr
    WHERE sr.country IN (sqlc.arg(country)::text, '*') AND sr.currency = sqlc.arg(currency)::text
    ORDER BY sr.country = '*' LIMIT 1
) s ON true;

-- name: GetCouponByID :one
SELECT * FROM coupons WHERE id = $1;

-- name: AdjustReserved :many
-- Reserves (positive delta) or releases (negative) stock of several SKUs in one
-- statement, locking their rows in SKU order as order creation does, so that concurrent
-- writers never deadlock. A reservation needs the units available (the same condition
-- as creating an order): a SKU missing from the answer lacked them, and the caller
-- rolls back.
WITH want AS (
    SELECT (sqlc.arg(skus)::text[])[i] AS sku, (sqlc.arg(deltas)::int[])[i] AS delta
    FROM generate_series(1, cardinality(sqlc.arg(skus)::text[])) AS i
), locked AS (
    SELECT inv.sku FROM inventory inv WHERE inv.sku = ANY(sqlc.arg(skus)::text[]) ORDER BY inv.sku FOR UPDATE
)
UPDATE inventory inv SET reserved = inv.reserved + want.delta, updated_at = now()
FROM want JOIN locked ON locked.sku = want.sku
WHERE inv.sku = want.sku AND (want.delta <= 0 OR inv.on_hand - inv.reserved >= want.delta)
RETURNING inv.sku;

-- name: SetLineQuantities :exec
-- The lines left after an edit removed units: each with its new quantity and total.
UPDATE order_items oi SET quantity = w.qty, total = w.total
FROM (SELECT unnest(sqlc.arg(item_ids)::uuid[]) AS id, unnest(sqlc.arg(quantities)::int[]) AS qty,
             unnest(sqlc.arg(totals)::numeric[]) AS total) w
WHERE oi.id = w.id AND oi.order_id = sqlc.arg(order_id);

-- name: DeleteOrderLines :exec
-- Lines an edit removed entirely (none of their units shipped), with their reservations,
-- all released by then: a reservation always belongs to a line of its order.
WITH gone AS (
    DELETE FROM order_items oi
    WHERE oi.order_id = sqlc.arg(order_id) AND oi.id = ANY(sqlc.arg(item_ids)::uuid[]) AND oi.fulfilled_quantity = 0
    RETURNING oi.id
)
DELETE FROM inventory_reservations r USING gone
WHERE r.order_id = sqlc.arg(order_id) AND r.order_item_id = gone.id;

-- name: InsertOrderLines :exec
-- Lines an edit added, each with its reservation (AdjustReserved took the stock).
WITH lines AS (
    INSERT INTO order_items (id, order_id, position, sku, name, quantity, unit_price, total)
    SELECT (sqlc.arg(item_ids)::uuid[])[i], sqlc.arg(order_id), (sqlc.arg(positions)::int[])[i],
           (sqlc.arg(skus)::text[])[i], (sqlc.arg(names)::text[])[i], (sqlc.arg(quantities)::int[])[i],
           (sqlc.arg(unit_prices)::numeric[])[i], (sqlc.arg(line_totals)::numeric[])[i]
    FROM generate_series(1, cardinality(sqlc.arg(item_ids)::uuid[])) AS i
)
INSERT INTO inventory_reservations (order_id, order_item_id, sku, quantity)
SELECT sqlc.arg(order_id), (sqlc.arg(item_ids)::uuid[])[i], (sqlc.arg(skus)::text[])[i], (sqlc.arg(quantities)::int[])[i]
FROM generate_series(1, cardinality(sqlc.arg(item_ids)::uuid[])) AS i;

-- name: SetOrderAmounts :one
-- An order's amounts and the columns kept from its lines, after an edit; the statement
-- triggers keep the counters (revenue, statuses) in step.
UPDATE orders SET subtotal = sqlc.arg(subtotal), discount = sqlc.arg(discount),
    manual_discount = sqlc.arg(manual_discount), shipping = sqlc.arg(shipping),
    tax = sqlc.arg(tax), total = sqlc.arg(total), payment_status = sqlc.arg(payment_status),
    item_count = sqlc.arg(item_count), line_summary = sqlc.arg(line_summary), updated_at = now()
WHERE id = sqlc.arg(id)
RETURNING *;

-- name: SetOrderContact :one
-- An order's customer, addresses and notes, after a PATCH.
UPDATE orders SET customer_email = sqlc.arg(customer_email), customer_name = sqlc.arg(customer_name),
    customer_phone = sqlc.arg(customer_phone), shipping_address = sqlc.arg(shipping_address),
    billing_address = sqlc.arg(billing_address), notes = sqlc.arg(notes), updated_at = now()
WHERE id = sqlc.arg(id)
RETURNING *;
