-- name: EnqueueMessages :exec
-- Publishes one change of an order (service.publish), in its transaction: the customer's
-- email when its kind is switched on and the change may notify, and one webhook message
-- per enabled endpoint subscribed to each event type; each message's job comes with it
-- (the messages_enqueue trigger), and each email's "queued" history row. changed: the
-- order's fields the change touched, for order.updated (NULL for the others).
WITH msgs AS (
    INSERT INTO messages (order_id, channel, kind, endpoint_id, ref_id, public_id, recipient, changed)
    SELECT o.id, 'email', t.kind, NULL, sqlc.narg(ref_id)::uuid,
           'email_' || replace(gen_random_uuid()::text, '-', ''), o.customer_email, NULL
    FROM orders o JOIN email_templates t ON t.kind = sqlc.arg(email_kind)::text AND t.enabled
    WHERE o.id = sqlc.arg(order_id) AND sqlc.arg(notify)::bool AND o.customer_email <> ''
    UNION ALL
    SELECT sqlc.arg(order_id), 'webhook', ev.type, e.id, sqlc.narg(ref_id)::uuid,
           'msg_' || replace(gen_random_uuid()::text, '-', ''), e.url, sqlc.narg(changed)::text[]
    FROM unnest(sqlc.arg(events)::text[]) WITH ORDINALITY AS ev (type, n)
    JOIN webhook_endpoints e ON e.enabled AND ev.type = ANY(e.events)
    RETURNING id, channel, kind, recipient
)
INSERT INTO order_history (order_id, kind, status, note, actor, actor_type)
SELECT sqlc.arg(order_id), 'notification', 'queued',
       upper(left(kind, 1)) || replace(substr(kind, 2), '_', ' ') || ' email to ' || recipient, 'system', 'system'
FROM msgs WHERE channel = 'email';

-- name: GetMessage :one
-- A message with its order's number; a digest to staff has no order.
SELECT m.*, coalesce(o.order_number, '')::text AS order_number FROM messages m LEFT JOIN orders o ON o.id = m.order_id WHERE m.id = $1;

-- name: EarlierUnsent :one
-- Whether an earlier message to the same destination about the same order is still to
-- be sent: messages go out in commit order, so this one waits for it.
SELECT EXISTS (
    SELECT 1 FROM messages e
    WHERE e.order_id = sqlc.arg(order_id) AND e.channel = sqlc.arg(channel)
      AND e.endpoint_id IS NOT DISTINCT FROM sqlc.narg(endpoint_id)::uuid
      AND e.id < sqlc.arg(id) AND e.state IN ('queued', 'retrying')
)::bool;

-- name: FixEmail :one
-- Fixes what an email says at its first attempt; later attempts send the same.
UPDATE messages SET subject = coalesce(subject, sqlc.arg(subject)), text_body = coalesce(text_body, sqlc.arg(text_body)),
    html_body = coalesce(html_body, sqlc.arg(html_body)), updated_at = now()
WHERE id = $1
RETURNING subject, text_body, html_body;

-- name: FixPayload :one
UPDATE messages SET payload = coalesce(payload, sqlc.arg(payload)), updated_at = now() WHERE id = $1 RETURNING payload;

-- name: MessageSent :one
UPDATE messages SET state = 'sent', attempts = attempts + 1, last_error = '', response_code = sqlc.narg(response_code),
    sent_at = now(), updated_at = now()
WHERE id = $1 AND state IN ('queued', 'retrying')
RETURNING *;

-- name: MessageFailed :one
-- A failed attempt: retrying, or failed for good (given up).
UPDATE messages SET state = sqlc.arg(state), attempts = attempts + 1, last_error = sqlc.arg(last_error),
    response_code = sqlc.narg(response_code), updated_at = now()
WHERE id = $1 AND state IN ('queued', 'retrying')
RETURNING *;

-- name: GiveUpEndpointMessages :exec
UPDATE messages SET state = 'failed', last_error = sqlc.arg(last_error), updated_at = now()
WHERE endpoint_id = $1 AND state IN ('queued', 'retrying');

-- name: RequeueMessage :one
UPDATE messages SET state = 'queued', last_error = '', updated_at = now()
WHERE id = $1 AND endpoint_id = sqlc.arg(endpoint_id)
RETURNING *;

-- name: InsertNotificationHistory :exec
INSERT INTO order_history (order_id, kind, status, note, actor, actor_type)
VALUES ($1, 'notification', $2, $3, 'system', 'system');

-- name: InsertWebhookAttempt :exec
INSERT INTO webhook_attempts (message_id, response_code, error, duration_ms) VALUES ($1, $2, $3, $4);

-- name: ListEmailTemplates :many
SELECT * FROM email_templates ORDER BY array_position(sqlc.arg(kinds)::text[], kind), kind;

-- name: GetEmailTemplate :one
SELECT * FROM email_templates WHERE kind = $1;

-- name: UpdateEmailTemplate :one
UPDATE email_templates SET enabled = $2, subject = $3, body = $4, updated_at = now() WHERE kind = $1 RETURNING *;

-- name: InsertWebhookEndpoint :one
INSERT INTO webhook_endpoints (id, url, events, secret) VALUES ($1, $2, $3, $4) RETURNING *;

-- name: ListWebhookEndpoints :many
SELECT * FROM webhook_endpoints ORDER BY created_at, id;

-- name: GetWebhookEndpoint :one
SELECT * FROM webhook_endpoints WHERE id = $1;

-- name: DeleteWebhookEndpoint :execrows
DELETE FROM webhook_endpoints WHERE id = $1;

-- name: EnableWebhookEndpoint :one
UPDATE webhook_endpoints SET enabled = true, disabled_reason = NULL, failing_since = NULL WHERE id = $1 RETURNING *;

-- name: EndpointDelivered :exec
UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL;

-- name: EndpointFailed :one
-- Records a failed delivery; an endpoint failing since before failing_before is disabled.
UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now()),
    enabled = enabled AND coalesce(failing_since, now()) > sqlc.arg(failing_before)::timestamptz,
    disabled_reason = CASE WHEN enabled AND coalesce(failing_since, now()) <= sqlc.arg(failing_before)::timestamptz
        THEN sqlc.arg(reason)::text ELSE disabled_reason END
WHERE id = $1
RETURNING *;

-- name: ListEndpointDeliveries :many
-- The delivery log of an endpoint, newest first, with each message's attempts.
SELECT m.id, m.kind, m.public_id, m.state, m.attempts, m.last_error, m.response_code, m.created_at, m.sent_at,
       o.order_number
FROM messages m JOIN orders o ON o.id = m.order_id
WHERE m.endpoint_id = $1 AND (sqlc.narg(before)::bigint IS NULL OR m.id < sqlc.narg(before))
ORDER BY m.id DESC
LIMIT $2;

-- name: ListAttempts :many
SELECT * FROM webhook_attempts WHERE message_id = ANY(sqlc.arg(ids)::bigint[]) ORDER BY message_id, id;

-- name: DeleteOldMessages :execrows
-- Forgets messages done with (sent or given up) before done_before, a batch at a time;
-- an email's history rows stay with its order.
DELETE FROM messages WHERE id IN (
    SELECT m.id FROM messages m WHERE m.state IN ('sent', 'failed') AND m.updated_at < sqlc.arg(done_before)::timestamptz LIMIT 10000
);
