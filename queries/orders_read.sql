-- name: GetOrderByID :one
SELECT * FROM orders WHERE id = $1;

-- name: GetOrderByNumber :one
SELECT * FROM orders WHERE order_number = $1;

-- name: LockOrder :one
-- Every change to an order starts here: the row stays locked until the change commits.
SELECT * FROM orders WHERE id = $1 FOR UPDATE;

-- name: ListItemsForOrders :many
SELECT * FROM order_items WHERE order_id = ANY(sqlc.arg(order_ids)::uuid[]) ORDER BY order_id, position;

-- name: ListPaymentsForOrders :many
-- A Stripe payment still waiting for its intent (external_id not yet set) is a request in
-- flight, not yet part of the order.
SELECT * FROM payments
WHERE order_id = ANY(sqlc.arg(order_ids)::uuid[]) AND NOT (gateway = 'stripe' AND external_id IS NULL)
ORDER BY created_at, id;

-- name: ListRefundsForOrders :many
SELECT * FROM refunds WHERE order_id = ANY(sqlc.arg(order_ids)::uuid[]) ORDER BY created_at, id;

-- name: ListFulfillmentsForOrders :many
SELECT * FROM fulfillments WHERE order_id = ANY(sqlc.arg(order_ids)::uuid[]) ORDER BY created_at, id;

-- name: ListFulfillmentItemsForOrders :many
-- The children of children are read by their parents' ids, collected first (an
-- InitPlan), not through a join: planned generically, a join's method depends on what
-- the planner knows of the tables, and without statistics it hashes a scan of the whole
-- table (0.6-0.8 s at 1M orders, issue 21); a lookup by an array of keys reads the key's
-- index whatever it knows.
SELECT fi.* FROM fulfillment_items fi
WHERE fi.fulfillment_id = ANY(ARRAY(SELECT f.id FROM fulfillments f WHERE f.order_id = ANY(sqlc.arg(order_ids)::uuid[])));

-- name: ListFulfillmentEventsForOrders :many
SELECT e.* FROM fulfillment_events e
WHERE e.fulfillment_id = ANY(ARRAY(SELECT f.id FROM fulfillments f WHERE f.order_id = ANY(sqlc.arg(order_ids)::uuid[])))
ORDER BY e.at, e.created_at;

-- name: ListReturnsForOrders :many
SELECT * FROM returns WHERE order_id = ANY(sqlc.arg(order_ids)::uuid[]) ORDER BY created_at, id;

-- name: ListReturnItemsForOrders :many
-- By the returns' ids, as ListFulfillmentItemsForOrders.
SELECT ri.* FROM return_items ri
WHERE ri.return_id = ANY(ARRAY(SELECT r.id FROM returns r WHERE r.order_id = ANY(sqlc.arg(order_ids)::uuid[])));

-- name: ListHistoryForOrders :many
SELECT * FROM order_history WHERE order_id = ANY(sqlc.arg(order_ids)::uuid[]) ORDER BY order_id, id;

-- name: LatestCustomerByEmail :one
-- The customer and addresses of the newest order of an email, else of the first email
-- (alphabetically) matching prefix (a LIKE pattern ending in %), both lower-cased: each
-- reads orders_email_idx and stops at its first row.
(SELECT customer_email, customer_name, customer_phone, shipping_address, billing_address
 FROM orders WHERE lower(customer_email) = sqlc.arg(email)::text ORDER BY created_at DESC LIMIT 1)
UNION ALL
(SELECT customer_email, customer_name, customer_phone, shipping_address, billing_address
 FROM orders WHERE lower(customer_email) LIKE sqlc.arg(prefix)::text
 ORDER BY lower(customer_email), created_at DESC LIMIT 1)
LIMIT 1;
