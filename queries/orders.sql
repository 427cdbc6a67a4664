-- name: PricingContext :many
-- One round trip for everything order pricing reads: each requested product with the
-- destination's tax rate and the shipping rate for the product's currency (0 when none is set).
SELECT p.sku, p.name, p.price, p.sale_price, p.currency, p.active,
       coalesce(t.rate, 0)::numeric AS tax_rate, coalesce(s.amount, 0)::numeric AS shipping_amount, s.free_above AS shipping_free_above
FROM products p
LEFT JOIN LATERAL (
    SELECT tr.rate FROM tax_rates tr
    WHERE tr.country = sqlc.arg(country)::text AND tr.region IN ('', sqlc.arg(region)::text)
    ORDER BY tr.region DESC LIMIT 1
) t ON true
LEFT JOIN LATERAL (
    SELECT sr.amount, sr.free_above FROM shipping_rates sr
    WHERE sr.country IN (sqlc.arg(country)::text, '*') AND sr.currency = p.currency
    ORDER BY sr.country = '*' LIMIT 1
) s ON true
WHERE p.sku = ANY(sqlc.arg(skus)::text[]);

-- name: GetCouponByCode :one
SELECT * FROM coupons WHERE upper(code) = upper(sqlc.arg(code)::text);

-- name: UseCoupon :execrows
-- Counts a use atomically: no row is updated once the limit is reached.
UPDATE coupons SET used_count = used_count + 1
WHERE id = $1 AND (usage_limit IS NULL OR used_count < usage_limit);

-- name: ClaimIdempotencyKey :execrows
-- A concurrent duplicate blocks here until the first request's transaction ends.
INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)
ON CONFLICT (scope, key) DO NOTHING;

-- name: GetIdempotencyKey :one
SELECT * FROM idempotency_keys WHERE scope = $1 AND key = $2;

-- name: SetIdempotencyOrder :exec
UPDATE idempotency_keys SET order_id = $3 WHERE scope = $1 AND key = $2;

-- name: InsertOrder :one
-- The order, its lines, their stock reservations and the first history row, in one
-- statement (foreign keys are checked at its end, when every row exists).
WITH o AS (
    INSERT INTO orders (id, currency, subtotal, discount, shipping, tax, total,
        customer_email, customer_name, customer_phone, shipping_address, billing_address,
        notes, source, coupon_code, coupon_id, item_count)
    VALUES (sqlc.arg(id), sqlc.arg(currency), sqlc.arg(subtotal), sqlc.arg(discount), sqlc.arg(shipping),
        sqlc.arg(tax), sqlc.arg(total), sqlc.arg(customer_email), sqlc.arg(customer_name),
        sqlc.arg(customer_phone), sqlc.arg(shipping_address), sqlc.arg(billing_address),
        sqlc.arg(notes), sqlc.arg(source), sqlc.narg(coupon_code), sqlc.narg(coupon_id), sqlc.arg(item_count))
    RETURNING id, order_number, created_at
), lines AS (
    INSERT INTO order_items (id, order_id, position, sku, name, quantity, unit_price, total)
    SELECT (sqlc.arg(item_ids)::uuid[])[i], sqlc.arg(id), i, (sqlc.arg(skus)::text[])[i],
           (sqlc.arg(names)::text[])[i], (sqlc.arg(quantities)::int[])[i],
           (sqlc.arg(unit_prices)::numeric[])[i], (sqlc.arg(line_totals)::numeric[])[i]
    FROM generate_series(1, cardinality(sqlc.arg(item_ids)::uuid[])) AS i
), reservations AS (
    INSERT INTO inventory_reservations (id, order_id, order_item_id, sku, quantity)
    SELECT (sqlc.arg(reservation_ids)::uuid[])[i], sqlc.arg(id), (sqlc.arg(item_ids)::uuid[])[i],
           (sqlc.arg(skus)::text[])[i], (sqlc.arg(quantities)::int[])[i]
    FROM generate_series(1, cardinality(sqlc.arg(item_ids)::uuid[])) AS i
), history AS (
    INSERT INTO order_history (order_id, kind, status, actor, actor_type)
    VALUES (sqlc.arg(id), 'status', 'created', sqlc.arg(actor), sqlc.arg(actor_type))
)
SELECT order_number, created_at FROM o;

-- name: ReserveStock :many
-- Locks the SKUs' rows in SKU order (so concurrent orders never deadlock), then reserves
-- each quantity only where enough is available. A SKU missing from the result is short.
WITH want AS (
    SELECT (sqlc.arg(skus)::text[])[i] AS sku, (sqlc.arg(quantities)::int[])[i] AS qty
    FROM generate_series(1, cardinality(sqlc.arg(skus)::text[])) AS i
), locked AS (
    SELECT i.sku FROM inventory i WHERE i.sku = ANY(sqlc.arg(skus)::text[]) ORDER BY i.sku FOR UPDATE
)
UPDATE inventory inv SET reserved = inv.reserved + want.qty, updated_at = now()
FROM want JOIN locked ON locked.sku = want.sku
WHERE inv.sku = want.sku AND inv.on_hand - inv.reserved >= want.qty
RETURNING inv.sku;

-- name: StockLevels :many
SELECT * FROM inventory WHERE sku = ANY(sqlc.arg(skus)::text[]);
