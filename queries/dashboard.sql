-- name: DashboardToday :many
-- Orders placed since since, and revenue (everything not cancelled) per currency.
SELECT currency, count(*)::int AS orders,
       coalesce(sum(total) FILTER (WHERE status <> 'cancelled'), 0)::numeric AS revenue
FROM orders WHERE created_at >= sqlc.arg(since)::timestamptz
GROUP BY currency ORDER BY count(*) DESC, currency;

-- name: DashboardStatusCounts :many
SELECT status, count(*)::int AS orders FROM orders GROUP BY status;

-- name: DashboardDaily :many
-- One row per day from since to today (days without orders included) for one currency.
SELECT d.day::timestamptz AS day, count(o.id)::int AS orders,
       coalesce(sum(o.total) FILTER (WHERE o.status <> 'cancelled'), 0)::numeric AS revenue
FROM generate_series(date_trunc('day', sqlc.arg(since)::timestamptz), now(), interval '1 day') AS d(day)
LEFT JOIN orders o ON o.created_at >= d.day AND o.created_at < d.day + interval '1 day'
                  AND o.currency = sqlc.arg(currency)::text
GROUP BY d.day ORDER BY d.day;

-- name: DashboardTopCurrency :one
SELECT currency FROM orders WHERE created_at >= sqlc.arg(since)::timestamptz
GROUP BY currency ORDER BY count(*) DESC, currency LIMIT 1;

-- name: DashboardAwaitingFulfillment :many
SELECT order_number, customer_name, customer_email, currency, total, item_count, created_at,
       coalesce(shipping_address->>'country', '')::text AS country, count(*) OVER ()::int AS total_count
FROM orders
WHERE status IN ('paid', 'processing') AND fulfillment_status <> 'fulfilled'
ORDER BY created_at
LIMIT sqlc.arg(lim);
