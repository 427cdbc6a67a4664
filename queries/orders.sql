-- name: PricingContext :many
-- One round trip for everything order pricing reads: each requested product with the
-- destination's tax rate and the shipping rate for the product's currency (0 when none is set).
SELECT p.sku, p.name, p.price, p.sale_price, p.currency, p.active,
       coalesce(t.rate, 0)::numeric AS tax_rate, coalesce(s.amount, 0)::numeric AS shipping_amount, s.free_above AS shipping_free_above
FROM products p
JOIN inventory USING (sku) -- a product without stock records cannot be ordered
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

-- name: GetIdempotencyKey :one
SELECT * FROM idempotency_keys WHERE scope = $1 AND key = $2;

-- name: CreateOrder :one
-- The whole write of a new order in one statement, so one round trip and one implicit
-- transaction: the order, its lines, their stock reservations, the first history row,
-- the coupon use and the idempotency key. The database refuses what must not happen,
-- and any refusal undoes all of it:
--   inventory_on_hand_covers_reserved (23514): a SKU lacks stock;
--   coupons_usage_within_limit (23514): the coupon is used up;
--   idempotency_keys_pkey (23505): the key was used (a concurrent duplicate waits here
--   for the first request to finish).
-- Stock rows are locked in SKU order, so concurrent orders never deadlock, and stay
-- locked only until this statement commits.
WITH o AS (
    INSERT INTO orders (id, currency, subtotal, discount, shipping, tax, total,
        customer_email, customer_name, customer_phone, shipping_address, billing_address,
        notes, source, coupon_code, coupon_id, item_count, line_summary)
    VALUES (sqlc.arg(id), sqlc.arg(currency), sqlc.arg(subtotal), sqlc.arg(discount), sqlc.arg(shipping),
        sqlc.arg(tax), sqlc.arg(total), sqlc.arg(customer_email), sqlc.arg(customer_name),
        sqlc.arg(customer_phone), sqlc.arg(shipping_address), sqlc.arg(billing_address),
        sqlc.arg(notes), sqlc.arg(source), sqlc.narg(coupon_code), sqlc.narg(coupon_id), sqlc.arg(item_count), sqlc.arg(line_summary))
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
), coupon_use AS (
    UPDATE coupons SET used_count = used_count + 1 WHERE id = sqlc.narg(coupon_id)
), idempotency AS (
    INSERT INTO idempotency_keys (scope, key, request_hash, order_id)
    SELECT sqlc.arg(idempotency_scope)::text, sqlc.narg(idempotency_key)::text, sqlc.arg(request_hash)::bytea, sqlc.arg(id)
    WHERE sqlc.narg(idempotency_key)::text IS NOT NULL
    RETURNING 1
), want AS (
    SELECT (sqlc.arg(reserve_skus)::text[])[i] AS sku, (sqlc.arg(reserve_quantities)::int[])[i] AS qty
    FROM generate_series(1, cardinality(sqlc.arg(reserve_skus)::text[])) AS i
), locked AS (
    SELECT inv.sku FROM inventory inv WHERE inv.sku = ANY(sqlc.arg(reserve_skus)::text[]) ORDER BY inv.sku FOR UPDATE
), reserved AS (
    UPDATE inventory inv SET reserved = inv.reserved + want.qty, updated_at = now()
    FROM want JOIN locked ON locked.sku = want.sku
    WHERE inv.sku = want.sku
      -- Taking the key comes first, so that a repeat is answered as a repeat even when the
      -- first request took the last units (the key conflict raises before any shortage).
      AND (sqlc.narg(idempotency_key)::text IS NULL OR EXISTS (SELECT 1 FROM idempotency))
)
SELECT order_number, created_at FROM o;

-- name: StockLevels :many
SELECT * FROM inventory WHERE sku = ANY(sqlc.arg(skus)::text[]);
