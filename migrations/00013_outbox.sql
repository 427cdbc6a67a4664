-- +goose Up
-- Telling customers and other systems (issue 10): customer emails and signed webhooks,
-- from one outbox. A message is written in the transaction of the change that causes it,
-- with the job that sends it; the job sends after commit and records what happened.

ALTER TABLE order_history DROP CONSTRAINT order_history_kind_check,
    ADD CONSTRAINT order_history_kind_check
        CHECK (kind IN ('status', 'payment', 'fulfillment', 'refund', 'return', 'comment', 'notification'));

-- One row per kind of customer email: admins switch it on or off and edit its subject
-- and text (placeholders such as {order_number} are filled in when it is sent).
CREATE TABLE email_templates (
    kind        text PRIMARY KEY CHECK (kind IN ('order_confirmed', 'shipped', 'delivered', 'cancelled',
                                                 'refund_issued', 'return_approved', 'return_received')),
    enabled     boolean NOT NULL DEFAULT true,
    subject     text NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 200),
    body        text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 5000),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO email_templates (kind, subject, body) VALUES
('order_confirmed', 'Order {order_number} confirmed',
 E'Hello {customer_name},\n\nthank you for your order {order_number}. We have received your payment and are getting it ready.'),
('shipped', 'Order {order_number} is on its way',
 E'Hello {customer_name},\n\ngood news: a package of your order {order_number} has left our warehouse.'),
('delivered', 'Order {order_number} was delivered',
 E'Hello {customer_name},\n\nyour order {order_number} has been delivered. We hope you enjoy it.'),
('cancelled', 'Order {order_number} was cancelled',
 E'Hello {customer_name},\n\nyour order {order_number} has been cancelled. If we refund a payment, a separate email tells you when it is on its way.'),
('refund_issued', 'A refund for order {order_number}',
 E'Hello {customer_name},\n\nwe have refunded {refund_amount} for your order {order_number}. It may take a few days to reach your account.'),
('return_approved', 'Your return for order {order_number} is approved',
 E'Hello {customer_name},\n\nwe have approved your return for order {order_number}. Please send the items back to us.'),
('return_received', 'We received your return for order {order_number}',
 E'Hello {customer_name},\n\nthe items you sent back from order {order_number} have arrived.');

-- Where other systems want to hear about orders. The secret signs every request
-- (Standard Webhooks); it is shown once, when the endpoint is made.
CREATE TABLE webhook_endpoints (
    id              uuid PRIMARY KEY,
    url             text NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2048),
    events          text[] NOT NULL CHECK (cardinality(events) > 0),
    secret          text NOT NULL,
    enabled         boolean NOT NULL DEFAULT true,
    disabled_reason text,
    -- The first failed delivery since the last one that succeeded: an endpoint failing
    -- for three days is disabled.
    failing_since   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- The outbox: one row per email or webhook request to send. Per order and destination
-- (the customer's mailbox, one endpoint) they go out in id order, which is the order the
-- changes committed in, because every change of an order holds its row lock.
CREATE TABLE messages (
    id             bigserial PRIMARY KEY,
    order_id       uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    channel        text NOT NULL CHECK (channel IN ('email', 'webhook')),
    kind           text NOT NULL,           -- the email's kind or the event's type
    endpoint_id    uuid REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    ref_id         uuid,                    -- the fulfillment, return or refund it is about
    -- The webhook-id or Message-ID: the same on every attempt, so that a receiver can
    -- tell a repeat.
    public_id      text NOT NULL UNIQUE,
    recipient      text NOT NULL,           -- the email address or the endpoint's URL
    state          text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'retrying', 'failed')),
    attempts       int NOT NULL DEFAULT 0,
    last_error     text NOT NULL DEFAULT '',
    response_code  int,
    -- What is sent, fixed at the first attempt so that every attempt sends the same.
    subject        text,
    text_body      text,
    html_body      text,
    payload        text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz,
    CHECK ((channel = 'webhook') = (endpoint_id IS NOT NULL))
);
CREATE INDEX messages_order_idx ON messages (order_id, channel, id);

-- Each message comes with the job that sends it, in the same statement: whichever path
-- writes messages (order creation writes them in its one statement), a message exists
-- exactly when its job does. The job is a River job ("deliver_message", worked by
-- internal/jobs), inserted as River's other-language clients do: a row in river_job.
-- Retries and giving up are the worker's (max_attempts is only a backstop).
-- +goose StatementBegin
CREATE FUNCTION enqueue_message_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO river_job (kind, args, max_attempts, queue)
    SELECT 'deliver_message', jsonb_build_object('message_id', id), 1000, 'default' FROM new_messages;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER messages_enqueue AFTER INSERT ON messages REFERENCING NEW TABLE AS new_messages
    FOR EACH STATEMENT EXECUTE FUNCTION enqueue_message_jobs();
CREATE INDEX messages_endpoint_idx ON messages (endpoint_id, id) WHERE endpoint_id IS NOT NULL;

-- Every webhook request made, for the delivery log.
CREATE TABLE webhook_attempts (
    id             bigserial PRIMARY KEY,
    message_id     bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    attempted_at   timestamptz NOT NULL DEFAULT now(),
    response_code  int,
    error          text NOT NULL DEFAULT '',
    duration_ms    int NOT NULL
);
CREATE INDEX webhook_attempts_message_idx ON webhook_attempts (message_id, id);

-- +goose Down
DROP TABLE webhook_attempts, messages, webhook_endpoints, email_templates;
DROP FUNCTION enqueue_message_jobs();
DELETE FROM order_history WHERE kind = 'notification';
ALTER TABLE order_history DROP CONSTRAINT order_history_kind_check,
    ADD CONSTRAINT order_history_kind_check
        CHECK (kind IN ('status', 'payment', 'fulfillment', 'refund', 'return', 'comment'));
