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

-- name: CreateOrders :many
-- The whole write of one or more new orders in one statement, so one round trip and one
-- implicit transaction (service.CreateOrder coalesces concurrent creates into it): the
-- orders, their lines, stock reservations, first history rows, coupon uses,
-- idempotency keys and order.created webhook messages. The database refuses what must
-- not happen, and any refusal undoes all of it (the caller then writes each order alone, to refuse only the one at fault):
--   inventory_on_hand_covers_reserved (23514): a SKU lacks stock;
--   coupons_usage_within_limit (23514): a coupon is used up;
--   idempotency_keys_pkey (23505): a key was used (a concurrent duplicate waits here
--   for the first request to finish).
-- Orders are inserted in the order given, so their numbers increase in that order.
-- Stock rows are locked in SKU order, so concurrent writes never deadlock, and stay
-- locked only until this statement commits. Empty strings and the nil UUID stand for
-- "none" in the per-order arrays.
WITH o AS (
    INSERT INTO orders (id, currency, subtotal, discount, shipping, tax, total,
        customer_email, customer_name, customer_phone, shipping_address, billing_address,
        notes, source, coupon_code, coupon_id, item_count, line_summary, manual_discount, manual_discount_reason)
    SELECT (sqlc.arg(ids)::uuid[])[i], (sqlc.arg(currencies)::text[])[i], (sqlc.arg(subtotals)::numeric[])[i],
           (sqlc.arg(discounts)::numeric[])[i], (sqlc.arg(shippings)::numeric[])[i], (sqlc.arg(taxes)::numeric[])[i],
           (sqlc.arg(totals)::numeric[])[i], (sqlc.arg(customer_emails)::text[])[i],
           (sqlc.arg(customer_names)::text[])[i], (sqlc.arg(customer_phones)::text[])[i],
           (sqlc.arg(shipping_addresses)::jsonb[])[i], (sqlc.arg(billing_addresses)::jsonb[])[i],
           (sqlc.arg(notes)::text[])[i], (sqlc.arg(sources)::text[])[i],
           nullif((sqlc.arg(coupon_codes)::text[])[i], ''),
           nullif((sqlc.arg(coupon_ids)::uuid[])[i], '00000000-0000-0000-0000-000000000000'),
           (sqlc.arg(item_counts)::int[])[i], (sqlc.arg(line_summaries)::text[])[i],
           (sqlc.arg(manual_discounts)::numeric[])[i], (sqlc.arg(manual_discount_reasons)::text[])[i]
    FROM generate_series(1, cardinality(sqlc.arg(ids)::uuid[])) AS i
    ORDER BY i
    RETURNING id, order_number, created_at
), lines AS (
    INSERT INTO order_items (id, order_id, position, sku, name, quantity, unit_price, total)
    SELECT (sqlc.arg(item_ids)::uuid[])[i], (sqlc.arg(item_order_ids)::uuid[])[i], (sqlc.arg(positions)::int[])[i],
           (sqlc.arg(skus)::text[])[i], (sqlc.arg(names)::text[])[i], (sqlc.arg(quantities)::int[])[i],
           (sqlc.arg(unit_prices)::numeric[])[i], (sqlc.arg(line_totals)::numeric[])[i]
    FROM generate_series(1, cardinality(sqlc.arg(item_ids)::uuid[])) AS i
), reservations AS (
    INSERT INTO inventory_reservations (id, order_id, order_item_id, sku, quantity)
    SELECT (sqlc.arg(reservation_ids)::uuid[])[i], (sqlc.arg(item_order_ids)::uuid[])[i],
           (sqlc.arg(item_ids)::uuid[])[i], (sqlc.arg(skus)::text[])[i], (sqlc.arg(quantities)::int[])[i]
    FROM generate_series(1, cardinality(sqlc.arg(item_ids)::uuid[])) AS i
), history AS (
    INSERT INTO order_history (order_id, kind, status, note, actor, actor_type, actor_email)
    SELECT (sqlc.arg(ids)::uuid[])[i], 'status', 'created', (sqlc.arg(history_notes)::text[])[i],
           (sqlc.arg(actors)::text[])[i], (sqlc.arg(actor_types)::text[])[i], nullif((sqlc.arg(actor_emails)::text[])[i], '')
    FROM generate_series(1, cardinality(sqlc.arg(ids)::uuid[])) AS i
), created_hooks AS (
    -- order.created for the webhook endpoints that want it (see outbox.sql).
    INSERT INTO messages (order_id, channel, kind, endpoint_id, public_id, recipient)
    SELECT o.id, 'webhook', 'order.created', e.id, 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.url
    FROM o JOIN webhook_endpoints e ON e.enabled AND 'order.created' = ANY(e.events)
    ORDER BY o.order_number
), used AS (
    SELECT (sqlc.arg(used_coupon_ids)::uuid[])[i] AS id, (sqlc.arg(used_coupon_counts)::int[])[i] AS n
    FROM generate_series(1, cardinality(sqlc.arg(used_coupon_ids)::uuid[])) AS i
), coupon_use AS (
    UPDATE coupons c SET used_count = c.used_count + used.n FROM used WHERE c.id = used.id
), idempotency AS (
    INSERT INTO idempotency_keys (scope, key, request_hash, order_id)
    SELECT (sqlc.arg(idempotency_scopes)::text[])[i], (sqlc.arg(idempotency_keys)::text[])[i],
           (sqlc.arg(request_hashes)::bytea[])[i], (sqlc.arg(ids)::uuid[])[i]
    FROM generate_series(1, cardinality(sqlc.arg(ids)::uuid[])) AS i
    WHERE (sqlc.arg(idempotency_keys)::text[])[i] <> ''
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
      -- Taking the keys comes first, so that a repeat is answered as a repeat even when
      -- the first request took the last units (a key conflict raises before any shortage).
      AND (NOT sqlc.arg(keyed)::bool OR EXISTS (SELECT 1 FROM idempotency))
)
SELECT id, order_number, created_at FROM o;

-- name: StockLevels :many
SELECT * FROM inventory WHERE sku = ANY(sqlc.arg(skus)::text[]);
