-- Invariant audits for `oms check`: each query is one invariant over the whole database,
-- set-based, answering one row per violation (subject: what is wrong, detail: how).

-- name: CheckCounts :one
SELECT (SELECT count(*) FROM orders)::bigint AS orders, (SELECT count(*) FROM inventory)::bigint AS skus;

-- name: CheckReservedMatchesReservations :many
SELECT coalesce(i.sku, r.sku)::text AS subject,
       format('reserved %s, but its open reservations add up to %s',
              coalesce(i.reserved::text, '(no inventory row)'), coalesce(r.qty, 0))::text AS detail
FROM inventory i
FULL JOIN (SELECT sku, sum(quantity)::bigint AS qty FROM inventory_reservations
           WHERE status = 'reserved' GROUP BY sku) r ON r.sku = i.sku
WHERE i.sku IS NULL OR i.reserved <> coalesce(r.qty, 0)
ORDER BY 1;

-- name: CheckStockBounds :many
SELECT sku::text AS subject,
       format('reserved %s, on_hand %s: must be 0 <= reserved <= on_hand', reserved, on_hand)::text AS detail
FROM inventory
WHERE reserved < 0 OR reserved > on_hand
ORDER BY 1;

-- name: CheckPaidMatchesPayments :many
SELECT o.order_number::text AS subject,
       format('paid %s, but its completed payments add up to %s', trim_scale(o.paid), trim_scale(coalesce(p.amount, 0)))::text AS detail
FROM orders o
LEFT JOIN (SELECT order_id, sum(amount) AS amount FROM payments WHERE status = 'completed' GROUP BY order_id) p
       ON p.order_id = o.id
WHERE o.paid <> coalesce(p.amount, 0)
ORDER BY o.created_at, o.id;

-- name: CheckRefundedMatchesRefunds :many
-- Only succeeded refunds are refunded money; pending ones are held in refund_pending (the
-- same rule as the recomputation in payments.sql). Parts drawn from unapplied payments
-- are outside the order's money.
SELECT o.order_number::text AS subject,
       format('refunded %s and pending %s, paid %s; succeeded refunds add up to %s and pending ones to %s: they must match and refunded + pending must not exceed paid',
              trim_scale(o.refunded), trim_scale(o.refund_pending), trim_scale(o.paid),
              trim_scale(coalesce(r.succeeded, 0)), trim_scale(coalesce(r.pending, 0)))::text AS detail
FROM orders o
LEFT JOIN (SELECT p.order_id, sum(a.amount) FILTER (WHERE a.status = 'succeeded') AS succeeded,
                  sum(a.amount) FILTER (WHERE a.status = 'pending') AS pending
           FROM refund_allocations a JOIN payments p ON p.id = a.payment_id
           WHERE p.status = 'completed' GROUP BY p.order_id) r
       ON r.order_id = o.id
WHERE o.refunded <> coalesce(r.succeeded, 0) OR o.refund_pending <> coalesce(r.pending, 0)
   OR o.refunded + o.refund_pending > o.paid OR o.refunded < 0
ORDER BY o.created_at, o.id;

-- name: CheckRefundsSettled :many
-- A refund's status follows its parts, its amount is theirs, and a card refund that left
-- pending has the gateway's refund id.
SELECT r.id::text AS subject,
       format('refund of %s is %s; its parts add up to %s (%s), and %s card parts settled without a gateway reference',
              trim_scale(r.amount), r.status, trim_scale(coalesce(sum(a.amount), 0)), string_agg(a.status, ', '),
              count(*) FILTER (WHERE p.gateway = 'stripe' AND a.status = 'succeeded' AND a.external_id = ''))::text AS detail
FROM refunds r
LEFT JOIN refund_allocations a ON a.refund_id = r.id
LEFT JOIN payments p ON p.id = a.payment_id
GROUP BY r.id
HAVING r.amount <> coalesce(sum(a.amount), 0)
    OR r.status <> CASE WHEN bool_or(a.status = 'pending') THEN 'pending'
                        WHEN bool_and(a.status = 'failed') THEN 'failed' ELSE 'succeeded' END
    OR count(*) FILTER (WHERE p.gateway = 'stripe' AND a.status = 'succeeded' AND a.external_id = '') > 0
ORDER BY 1;

-- name: CheckLineQuantities :many
SELECT format('%s line %s (%s)', o.order_number, i.position, i.sku)::text AS subject,
       format('ordered %s, fulfilled %s (fulfillments ship %s), returned %s: must be 0 <= returned <= fulfilled <= ordered and fulfilled = shipped',
              i.quantity, i.fulfilled_quantity, coalesce(f.qty, 0), i.returned_quantity)::text AS detail
FROM order_items i
JOIN orders o ON o.id = i.order_id
LEFT JOIN (SELECT order_item_id, sum(quantity)::bigint AS qty FROM fulfillment_items GROUP BY order_item_id) f
       ON f.order_item_id = i.id
WHERE i.fulfilled_quantity < 0 OR i.fulfilled_quantity > i.quantity
   OR i.returned_quantity < 0 OR i.returned_quantity > i.fulfilled_quantity
   OR i.fulfilled_quantity <> coalesce(f.qty, 0)
ORDER BY o.created_at, o.id, i.position;

-- name: CheckOrderAmounts :many
SELECT o.order_number::text AS subject,
       format('subtotal %s, discount %s, shipping %s, tax %s, total %s, lines add up to %s (%s items, item_count %s): must be total = subtotal - discount + shipping + tax and subtotal = the lines',
              trim_scale(o.subtotal), trim_scale(o.discount), trim_scale(o.shipping), trim_scale(o.tax), trim_scale(o.total),
              trim_scale(coalesce(l.amount, 0)), coalesce(l.qty, 0), o.item_count)::text AS detail
FROM orders o
LEFT JOIN (SELECT order_id, sum(total) AS amount, sum(quantity)::bigint AS qty FROM order_items GROUP BY order_id) l
       ON l.order_id = o.id
WHERE o.total <> o.subtotal - o.discount + o.shipping + o.tax
   OR o.subtotal <> coalesce(l.amount, 0)
   OR o.item_count <> coalesce(l.qty, 0)
   OR l.order_id IS NULL
ORDER BY o.created_at, o.id;

-- name: CheckDerivedStatuses :many
SELECT o.order_number::text AS subject,
       concat_ws('; ',
         CASE WHEN o.payment_status <> oms_payment_status(o.total, o.paid, o.refunded)
              THEN format('payment_status %s, but its amounts say %s', o.payment_status, oms_payment_status(o.total, o.paid, o.refunded)) END,
         CASE WHEN o.fulfillment_status <> oms_fulfillment_status(coalesce(l.ordered, 0), coalesce(l.fulfilled, 0))
              THEN format('fulfillment_status %s, but its lines say %s', o.fulfillment_status,
                          oms_fulfillment_status(coalesce(l.ordered, 0), coalesce(l.fulfilled, 0))) END
       )::text AS detail
FROM orders o
LEFT JOIN (SELECT order_id, sum(quantity)::bigint AS ordered, sum(fulfilled_quantity)::bigint AS fulfilled
           FROM order_items GROUP BY order_id) l ON l.order_id = o.id
WHERE o.payment_status <> oms_payment_status(o.total, o.paid, o.refunded)
   OR o.fulfillment_status <> oms_fulfillment_status(coalesce(l.ordered, 0), coalesce(l.fulfilled, 0))
ORDER BY o.created_at, o.id;

-- name: CheckStatusMatchesAmounts :many
-- What each status promises. Money, by the one rule of what an order owes (domain.Money,
-- oms_outstanding: its total less what it holds, paid less refunded and refunds on their
-- way): a paid or processing order owes nothing unless an edit changed its total or money
-- went back since (it then does not ship until paid), and an order shipped in full owed
-- nothing when it shipped (refunds after that, a return's or a goodwill gesture, are no
-- debt). Goods shipped for everything past processing, nothing shipped before payment,
-- money back for refunded, the timestamp of each step reached.
SELECT o.order_number::text AS subject,
       concat_ws('; ',
         CASE WHEN owing.amount > 0 AND o.status IN ('shipped', 'delivered', 'returned', 'refunded')
              THEN format('status %s but it shipped owing %s (paid %s, refunded before it shipped %s, total %s)', o.status,
                          trim_scale(owing.amount), trim_scale(o.paid), trim_scale(owing.refunded), trim_scale(o.total)) END,
         CASE WHEN owing.amount > 0 AND o.status IN ('paid', 'processing')
              THEN format('status %s but it owes %s (paid %s, total %s) with no edit or refund since it was paid', o.status,
                          trim_scale(owing.amount), trim_scale(o.paid), trim_scale(o.total)) END,
         CASE WHEN o.status IN ('shipped', 'delivered', 'returned', 'refunded') AND o.fulfillment_status <> 'fulfilled'
              THEN format('status %s but fulfillment_status %s', o.status, o.fulfillment_status) END,
         CASE WHEN o.status IN ('created', 'pending') AND o.fulfillment_status <> 'unfulfilled'
              THEN format('status %s but fulfillment_status %s', o.status, o.fulfillment_status) END,
         CASE WHEN o.status = 'refunded' AND o.payment_status <> 'refunded'
              THEN format('status refunded but payment_status %s', o.payment_status) END,
         CASE WHEN o.status IN ('paid', 'processing', 'shipped', 'delivered', 'returned', 'refunded') AND o.paid_at IS NULL
              THEN format('status %s but no paid_at', o.status) END,
         CASE WHEN o.status IN ('shipped', 'delivered', 'returned', 'refunded') AND o.shipped_at IS NULL
              THEN format('status %s but no shipped_at', o.status) END,
         CASE WHEN o.status IN ('delivered', 'returned', 'refunded') AND o.delivered_at IS NULL
              THEN format('status %s but no delivered_at', o.status) END,
         CASE WHEN o.status = 'cancelled' AND o.cancelled_at IS NULL
              THEN 'status cancelled but no cancelled_at' END
       )::text AS detail
FROM orders o
-- Read only for the few orders that hold less than their total now: an order held at
-- least as much when it shipped (refunds only add up). A refund's created_at is taken
-- under the order's lock (InsertRefund), so one made after the order shipped is never
-- counted as made before.
LEFT JOIN LATERAL (
    SELECT before.refunded,
           CASE WHEN o.status IN ('shipped', 'delivered', 'returned', 'refunded')
                     THEN oms_outstanding(o.total, o.paid, before.refunded, 0)
                WHEN o.status IN ('paid', 'processing') AND o.refunded + o.refund_pending = 0
                     AND NOT EXISTS (SELECT 1 FROM order_history oh WHERE oh.order_id = o.id AND oh.kind = 'edit')
                     THEN oms_outstanding(o.total, o.paid, o.refunded, o.refund_pending)
                ELSE 0 END AS amount
    FROM (SELECT coalesce(sum(a.amount), 0) AS refunded
          FROM refunds r JOIN refund_allocations a ON a.refund_id = r.id JOIN payments p ON p.id = a.payment_id
          WHERE r.order_id = o.id AND p.status = 'completed' AND a.status <> 'failed' AND r.created_at < o.shipped_at) before
) owing ON oms_outstanding(o.total, o.paid, o.refunded, o.refund_pending) > 0
WHERE coalesce(owing.amount, 0) > 0
   OR (o.status IN ('paid', 'processing', 'shipped', 'delivered', 'returned', 'refunded') AND o.paid_at IS NULL)
   OR (o.status IN ('shipped', 'delivered', 'returned', 'refunded') AND (o.fulfillment_status <> 'fulfilled' OR o.shipped_at IS NULL))
   OR (o.status IN ('created', 'pending') AND o.fulfillment_status <> 'unfulfilled')
   OR (o.status = 'refunded' AND o.payment_status <> 'refunded')
   OR (o.status IN ('delivered', 'returned', 'refunded') AND o.delivered_at IS NULL)
   OR (o.status = 'cancelled' AND o.cancelled_at IS NULL)
ORDER BY o.created_at, o.id;

-- name: CheckNoStrandedReservations :many
-- A cancelled order gives its stock back, and a fully shipped one has committed all of it:
-- neither may still hold a reservation.
SELECT o.order_number::text AS subject,
       format('status %s, fulfillment_status %s, but still holds %s reserved units (%s)',
              o.status, o.fulfillment_status, sum(r.quantity), string_agg(DISTINCT r.sku, ', '))::text AS detail
FROM orders o
JOIN inventory_reservations r ON r.order_id = o.id AND r.status = 'reserved'
WHERE o.status = 'cancelled' OR o.fulfillment_status = 'fulfilled'
GROUP BY o.id, o.order_number, o.status, o.fulfillment_status, o.created_at
ORDER BY o.created_at, o.id;

-- name: CheckReservationsBelongToLines :many
-- Reservations carry no foreign keys (see the schema): each must match a line of its
-- order, for the line's SKU.
SELECT coalesce(o.order_number, r.order_id::text)::text AS subject,
       format('reservation %s of %s x %s (%s) matches no line of this order', r.id, r.quantity, r.sku, r.status)::text AS detail
FROM inventory_reservations r
LEFT JOIN orders o ON o.id = r.order_id
LEFT JOIN order_items oi ON oi.id = r.order_item_id AND oi.order_id = r.order_id AND oi.sku = r.sku
WHERE oi.id IS NULL
ORDER BY r.created_at, r.id;

-- name: CheckHistoryMatchesStatus :many
-- Every status change writes a history row in the same transaction, so the latest one
-- names the order's status.
SELECT o.order_number::text AS subject,
       format('status %s, but the latest status entry in its history is %s', o.status, coalesce(h.status, '(none)'))::text AS detail
FROM orders o
LEFT JOIN LATERAL (SELECT oh.status FROM order_history oh WHERE oh.order_id = o.id AND oh.kind = 'status'
                   ORDER BY oh.id DESC LIMIT 1) h ON true
WHERE h.status IS DISTINCT FROM o.status
ORDER BY o.created_at, o.id;

-- name: CheckLineSummary :many
-- The summary of its lines an order keeps for exports says what its lines say.
SELECT o.order_number::text AS subject,
       format('line_summary %L, but its lines say %L', o.line_summary, coalesce(l.summary, ''))::text AS detail
FROM orders o
LEFT JOIN (SELECT order_id, string_agg(sku || ' x' || quantity, '; ' ORDER BY position) AS summary
           FROM order_items GROUP BY order_id) l ON l.order_id = o.id
WHERE o.line_summary <> coalesce(l.summary, '')
ORDER BY o.created_at, o.id;

-- name: CheckOrderStateCounts :many
-- The status counters (counters plus unfolded deltas, as OrderStateCounts reads them)
-- against a recount of the orders.
WITH kept AS (
    SELECT status, payment_status, fulfillment_status, sum(orders)::bigint AS n
    FROM (SELECT status, payment_status, fulfillment_status, orders FROM order_state_counts
          UNION ALL
          SELECT status, payment_status, fulfillment_status, orders FROM order_stat_deltas) c
    GROUP BY 1, 2, 3
), counted AS (
    SELECT status, payment_status, fulfillment_status, count(*)::bigint AS n FROM orders GROUP BY 1, 2, 3
)
SELECT format('%s / %s / %s', status, payment_status, fulfillment_status)::text AS subject,
       format('the counters say %s orders, the orders table holds %s', coalesce(kept.n, 0), coalesce(counted.n, 0))::text AS detail
FROM kept FULL JOIN counted USING (status, payment_status, fulfillment_status)
WHERE coalesce(kept.n, 0) <> coalesce(counted.n, 0)
ORDER BY 1;

-- name: CheckOrderDailyStats :many
-- The daily counters against a recount of orders and revenue per UTC day and currency.
WITH kept AS (
    SELECT day, currency, sum(orders)::bigint AS n, sum(revenue) AS revenue
    FROM (SELECT day, currency, orders, revenue FROM order_daily_stats
          UNION ALL
          SELECT day, currency, orders, revenue FROM order_stat_deltas) d
    GROUP BY 1, 2
), counted AS (
    SELECT (created_at AT TIME ZONE 'UTC')::date AS day, currency, count(*)::bigint AS n,
           coalesce(sum(total) FILTER (WHERE status <> 'cancelled'), 0) AS revenue
    FROM orders GROUP BY 1, 2
)
SELECT format('%s %s', day, currency)::text AS subject,
       format('the counters say %s orders and %s revenue, the orders table %s and %s',
              coalesce(kept.n, 0), trim_scale(coalesce(kept.revenue, 0)),
              coalesce(counted.n, 0), trim_scale(coalesce(counted.revenue, 0)))::text AS detail
FROM kept FULL JOIN counted USING (day, currency)
WHERE coalesce(kept.n, 0) <> coalesce(counted.n, 0) OR coalesce(kept.revenue, 0) <> coalesce(counted.revenue, 0)
ORDER BY 1;

-- name: StatusRules :one
-- For the test that keeps the SQL rules equal to internal/domain's.
SELECT oms_payment_status(sqlc.arg(total)::numeric, sqlc.arg(paid)::numeric, sqlc.arg(refunded)::numeric)::text AS payment_status,
       oms_fulfillment_status(sqlc.arg(ordered)::bigint, sqlc.arg(fulfilled)::bigint)::text AS fulfillment_status,
       oms_outstanding(sqlc.arg(total)::numeric, sqlc.arg(paid)::numeric, sqlc.arg(refunded)::numeric,
                       sqlc.arg(refund_pending)::numeric)::numeric AS outstanding;

-- name: CheckOrderTags :many
-- order_tags holds each order's tags, each once, at the order's placing time (the
-- triggers of migration 00014), and nothing else.
SELECT coalesce(o.order_number, coalesce(w.order_id, t.order_id)::text)::text AS subject,
       CASE WHEN t.tag IS NULL THEN format('tag %L is on the order but missing from order_tags', w.tag)
            ELSE format('order_tags has tag %L at %s, which the order does not have', t.tag, t.created_at) END::text AS detail
FROM (SELECT DISTINCT unnest(tags) COLLATE "C" AS tag, created_at, id AS order_id FROM orders) w
FULL JOIN order_tags t ON t.tag = w.tag AND t.created_at = w.created_at AND t.order_id = w.order_id
LEFT JOIN orders o ON o.id = coalesce(w.order_id, t.order_id)
WHERE w.tag IS NULL OR t.tag IS NULL
ORDER BY 1, 2;

-- name: CheckShipBy :many
-- A shipping deadline is kept exactly while the order waits to ship (issue 28): set on
-- payment, cleared once it ships or is cancelled.
SELECT order_number::text AS subject, format('status %s but a shipping deadline (%s)', status, ship_by)::text AS detail
FROM orders
WHERE ship_by IS NOT NULL AND status NOT IN ('paid', 'processing')
ORDER BY 1;

-- name: CheckVersions :many
-- An order's version counts its changes (service.orderChanged): the history rows of its
-- changes carry versions that never go down, and none beyond the order's own.
SELECT o.order_number::text AS subject,
       format('history row %s says version %s after version %s, the order is at version %s', h.id, h.version, h.before, o.version)::text AS detail
FROM (SELECT order_id, id, version, lag(version) OVER (PARTITION BY order_id ORDER BY id) AS before
      FROM order_history WHERE version IS NOT NULL) h
JOIN orders o ON o.id = h.order_id
WHERE h.version > o.version OR h.version < h.before
ORDER BY o.created_at, o.id, h.id;
