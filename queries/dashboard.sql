-- name: OrderStateCounts :many
-- Orders per status combination: the counters plus the deltas not folded in yet
-- (migrations 00006). Combinations without orders are left out.
SELECT status, payment_status, fulfillment_status, sum(orders)::bigint AS orders
FROM (SELECT status, payment_status, fulfillment_status, orders FROM order_state_counts
      UNION ALL
      SELECT status, payment_status, fulfillment_status, orders FROM order_stat_deltas) c
GROUP BY status, payment_status, fulfillment_status
HAVING sum(orders) <> 0
ORDER BY status, payment_status, fulfillment_status;

-- name: OrderDailyStats :many
-- Orders placed and revenue per UTC day and currency from since on, as OrderStateCounts.
SELECT day::date AS day, currency::text AS currency, sum(orders)::bigint AS orders, sum(revenue)::numeric AS revenue
FROM (SELECT day, currency, orders, revenue FROM order_daily_stats WHERE day >= sqlc.arg(since)::date
      UNION ALL
      SELECT day, currency, orders, revenue FROM order_stat_deltas WHERE day >= sqlc.arg(since)::date) d
GROUP BY day, currency
ORDER BY day, currency;

-- name: TryLockOrderStats :one
-- One compaction at a time (any process may run the job); held until the transaction ends.
SELECT pg_try_advisory_xact_lock(7310309413625620843) AS locked;

-- name: CompactOrderStats :one
-- Folds the deltas into the counters. Deltas of transactions still running are not seen
-- and wait for the next run; readers see each delta either here or there, never both.
WITH moved AS (
    DELETE FROM order_stat_deltas RETURNING *
), states AS (
    INSERT INTO order_state_counts AS c (status, payment_status, fulfillment_status, orders)
    SELECT status, payment_status, fulfillment_status, sum(orders) FROM moved
    GROUP BY status, payment_status, fulfillment_status ORDER BY 1, 2, 3
    ON CONFLICT (status, payment_status, fulfillment_status) DO UPDATE SET orders = c.orders + excluded.orders
), days AS (
    INSERT INTO order_daily_stats AS d (day, currency, orders, revenue)
    SELECT day, currency, sum(orders), sum(revenue) FROM moved
    GROUP BY day, currency ORDER BY 1, 2
    ON CONFLICT (day, currency) DO UPDATE SET orders = d.orders + excluded.orders, revenue = d.revenue + excluded.revenue
)
SELECT count(*)::bigint AS deltas FROM moved;
