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
SELECT * FROM payments WHERE order_id = ANY(sqlc.arg(order_ids)::uuid[]) ORDER BY created_at, id;

-- name: ListRefundsForOrders :many
SELECT * FROM refunds WHERE order_id = ANY(sqlc.arg(order_ids)::uuid[]) ORDER BY created_at, id;

-- name: ListFulfillmentsForOrders :many
SELECT * FROM fulfillments WHERE order_id = ANY(sqlc.arg(order_ids)::uuid[]) ORDER BY created_at, id;

-- name: ListFulfillmentItemsForOrders :many
SELECT fi.* FROM fulfillment_items fi JOIN fulfillments f ON f.id = fi.fulfillment_id
WHERE f.order_id = ANY(sqlc.arg(order_ids)::uuid[]);

-- name: ListFulfillmentEventsForOrders :many
SELECT e.* FROM fulfillment_events e JOIN fulfillments f ON f.id = e.fulfillment_id
WHERE f.order_id = ANY(sqlc.arg(order_ids)::uuid[]) ORDER BY e.at, e.created_at;

-- name: ListReturnsForOrders :many
SELECT * FROM returns WHERE order_id = ANY(sqlc.arg(order_ids)::uuid[]) ORDER BY created_at, id;

-- name: ListReturnItemsForOrders :many
SELECT ri.* FROM return_items ri JOIN returns r ON r.id = ri.return_id
WHERE r.order_id = ANY(sqlc.arg(order_ids)::uuid[]);

-- name: ListHistoryForOrders :many
SELECT * FROM order_history WHERE order_id = ANY(sqlc.arg(order_ids)::uuid[]) ORDER BY order_id, id;
