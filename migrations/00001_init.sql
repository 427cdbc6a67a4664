-- +goose Up
-- The whole order lifecycle's schema. Money is NUMERIC(19,4); every invariant that a
-- concurrent writer could break is a constraint here, not a check in Go.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE products (
    sku         text PRIMARY KEY CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    price       numeric(19,4) NOT NULL CHECK (price >= 0),
    sale_price  numeric(19,4) CHECK (sale_price >= 0),
    currency    char(3) NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- No index may cover on_hand or reserved: reservations then update rows in place (HOT).
CREATE TABLE inventory (
    sku         text PRIMARY KEY REFERENCES products (sku) ON DELETE CASCADE,
    on_hand     integer NOT NULL DEFAULT 0,
    reserved    integer NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT inventory_reserved_nonnegative CHECK (reserved >= 0),
    CONSTRAINT inventory_on_hand_covers_reserved CHECK (on_hand >= reserved)
);

CREATE TABLE inventory_adjustments (
    id          bigserial PRIMARY KEY,
    sku         text NOT NULL REFERENCES products (sku) ON DELETE CASCADE,
    delta       integer NOT NULL,
    reason      text NOT NULL DEFAULT '',
    actor       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inventory_adjustments_sku_idx ON inventory_adjustments (sku, created_at DESC);

CREATE TABLE coupons (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code          text NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
    kind          text NOT NULL CHECK (kind IN ('percent', 'fixed')),
    value         numeric(19,4) NOT NULL CHECK (value > 0),
    currency      char(3),
    min_subtotal  numeric(19,4) CHECK (min_subtotal >= 0),
    starts_at     timestamptz,
    ends_at       timestamptz,
    usage_limit   integer CHECK (usage_limit > 0),
    used_count    integer NOT NULL DEFAULT 0,
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT coupons_percent_max CHECK (kind <> 'percent' OR value <= 100),
    CONSTRAINT coupons_fixed_has_currency CHECK (kind <> 'fixed' OR currency IS NOT NULL),
    CONSTRAINT coupons_usage_within_limit CHECK (used_count >= 0 AND (usage_limit IS NULL OR used_count <= usage_limit))
);
CREATE UNIQUE INDEX coupons_code_key ON coupons (upper(code));

-- region '' is the whole country; the most specific match wins.
CREATE TABLE tax_rates (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    country     char(2) NOT NULL,
    region      text NOT NULL DEFAULT '',
    rate        numeric(9,6) NOT NULL CHECK (rate >= 0 AND rate < 1),
    name        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (country, region)
);

-- country '*' is the fallback for countries without a rate of their own.
CREATE TABLE shipping_rates (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    country     text NOT NULL CHECK (country = '*' OR country ~ '^[A-Z]{2}$'),
    currency    char(3) NOT NULL,
    amount      numeric(19,4) NOT NULL CHECK (amount >= 0),
    free_above  numeric(19,4) CHECK (free_above >= 0),
    name        text NOT NULL DEFAULT 'Standard',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (country, currency)
);

CREATE SEQUENCE order_number_seq;

-- ORD-YYMMDD-NNNNNN: the sequence makes numbers unique and increasing under any load;
-- past 999999 the number simply grows a digit instead of being truncated.
-- +goose StatementBegin
CREATE FUNCTION next_order_number() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT 'ORD-' || to_char(now() AT TIME ZONE 'UTC', 'YYMMDD') || '-' ||
           lpad(n::text, greatest(6, length(n::text)), '0')
    FROM (SELECT nextval('order_number_seq') AS n) s
$$;
-- +goose StatementEnd

CREATE TABLE orders (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_number        text NOT NULL UNIQUE DEFAULT next_order_number(),
    status              text NOT NULL DEFAULT 'created' CHECK (status IN
                          ('created','pending','paid','processing','shipped','delivered','cancelled','returned','refunded')),
    payment_status      text NOT NULL DEFAULT 'pending' CHECK (payment_status IN
                          ('pending','partially_paid','completed','partially_refunded','refunded')),
    fulfillment_status  text NOT NULL DEFAULT 'unfulfilled' CHECK (fulfillment_status IN
                          ('unfulfilled','partially_fulfilled','fulfilled')),
    currency            char(3) NOT NULL,
    subtotal            numeric(19,4) NOT NULL CHECK (subtotal >= 0),
    discount            numeric(19,4) NOT NULL DEFAULT 0 CHECK (discount >= 0 AND discount <= subtotal),
    shipping            numeric(19,4) NOT NULL DEFAULT 0 CHECK (shipping >= 0),
    tax                 numeric(19,4) NOT NULL DEFAULT 0 CHECK (tax >= 0),
    total               numeric(19,4) NOT NULL CHECK (total >= 0),
    paid                numeric(19,4) NOT NULL DEFAULT 0,
    refunded            numeric(19,4) NOT NULL DEFAULT 0,
    customer_email      text NOT NULL,
    customer_name       text NOT NULL DEFAULT '',
    customer_phone      text NOT NULL DEFAULT '',
    shipping_address    jsonb NOT NULL,
    billing_address     jsonb NOT NULL,
    notes               text NOT NULL DEFAULT '',
    source              text NOT NULL DEFAULT '',
    coupon_code         text,
    coupon_id           uuid REFERENCES coupons (id),
    item_count          integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    paid_at             timestamptz,
    shipped_at          timestamptz,
    delivered_at        timestamptz,
    cancelled_at        timestamptz,
    -- what q searches: order number, email, phone and name in one trigram-indexed column
    search              text GENERATED ALWAYS AS (lower(order_number || ' ' || customer_email || ' ' ||
                          customer_phone || ' ' || customer_name)) STORED,
    CONSTRAINT orders_total_adds_up CHECK (total = subtotal - discount + shipping + tax),
    CONSTRAINT orders_paid_within_total CHECK (paid >= 0 AND paid <= total),
    CONSTRAINT orders_refunded_within_paid CHECK (refunded >= 0 AND refunded <= paid)
);
CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);
CREATE INDEX orders_status_created_idx ON orders (status, created_at DESC, id DESC);
CREATE INDEX orders_email_idx ON orders (lower(customer_email), created_at DESC);
CREATE INDEX orders_total_idx ON orders (total, id);
CREATE INDEX orders_search_trgm_idx ON orders USING gin (search gin_trgm_ops);

CREATE TABLE order_items (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id            uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position            integer NOT NULL,
    -- sku and name are a snapshot of the catalog when the order was placed: no foreign
    -- key, so a line never changes (or locks the product row) when the catalog does.
    sku                 text NOT NULL,
    name                text NOT NULL,
    quantity            integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
    unit_price          numeric(19,4) NOT NULL CHECK (unit_price >= 0),
    total               numeric(19,4) NOT NULL CHECK (total >= 0),
    fulfilled_quantity  integer NOT NULL DEFAULT 0,
    returned_quantity   integer NOT NULL DEFAULT 0,
    CONSTRAINT order_items_fulfilled_within_ordered CHECK (fulfilled_quantity BETWEEN 0 AND quantity),
    CONSTRAINT order_items_returned_within_fulfilled CHECK (returned_quantity BETWEEN 0 AND fulfilled_quantity),
    UNIQUE (order_id, position)
);

CREATE TABLE inventory_reservations (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- No foreign keys: a reservation is written in the same statement as its order and
    -- line (orders are never deleted), and its SKU is one that order pricing found with an
    -- inventory row. Checking them again costs the hottest write path ~10%; `oms check`
    -- audits reservations against the stock instead.
    order_id       uuid NOT NULL,
    order_item_id  uuid NOT NULL,
    sku            text NOT NULL,
    quantity       integer NOT NULL CHECK (quantity > 0),
    status         text NOT NULL DEFAULT 'reserved' CHECK (status IN ('reserved', 'released', 'committed')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inventory_reservations_order_idx ON inventory_reservations (order_id);

CREATE TABLE payments (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id     uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    gateway      text NOT NULL CHECK (gateway IN ('manual', 'stripe')),
    amount       numeric(19,4) NOT NULL CHECK (amount > 0),
    currency     char(3) NOT NULL,
    status       text NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
    reference    text NOT NULL DEFAULT '',
    -- the gateway's own id (Stripe PaymentIntent), one payment per intent
    external_id  text UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_order_idx ON payments (order_id);

CREATE TABLE returns (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id       uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    status         text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'approved', 'rejected', 'received')),
    reason         text NOT NULL DEFAULT '',
    refund_amount  numeric(19,4) NOT NULL DEFAULT 0 CHECK (refund_amount >= 0),
    note           text NOT NULL DEFAULT '',
    restocked      boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    processed_at   timestamptz,
    received_at    timestamptz
);
CREATE INDEX returns_order_idx ON returns (order_id);
CREATE INDEX returns_status_idx ON returns (status, created_at);

CREATE TABLE return_items (
    return_id      uuid NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    order_item_id  uuid NOT NULL REFERENCES order_items (id) ON DELETE CASCADE,
    quantity       integer NOT NULL CHECK (quantity > 0),
    reason         text NOT NULL DEFAULT '',
    PRIMARY KEY (return_id, order_item_id)
);

CREATE TABLE refunds (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id     uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    payment_id   uuid REFERENCES payments (id),
    return_id    uuid REFERENCES returns (id),
    amount       numeric(19,4) NOT NULL CHECK (amount > 0),
    reason       text NOT NULL DEFAULT '',
    status       text NOT NULL DEFAULT 'completed' CHECK (status IN ('pending', 'completed', 'failed')),
    reference    text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_order_idx ON refunds (order_id);

CREATE TABLE fulfillments (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id         uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    carrier          text NOT NULL DEFAULT '',
    tracking_number  text NOT NULL DEFAULT '',
    tracking_url     text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'shipped' CHECK (status IN
                       ('shipped', 'in_transit', 'out_for_delivery', 'delivered', 'exception')),
    notify_customer  boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    shipped_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz
);
CREATE INDEX fulfillments_order_idx ON fulfillments (order_id);

CREATE TABLE fulfillment_items (
    fulfillment_id  uuid NOT NULL REFERENCES fulfillments (id) ON DELETE CASCADE,
    order_item_id   uuid NOT NULL REFERENCES order_items (id) ON DELETE CASCADE,
    quantity        integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (fulfillment_id, order_item_id)
);

CREATE TABLE fulfillment_events (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    fulfillment_id  uuid NOT NULL REFERENCES fulfillments (id) ON DELETE CASCADE,
    status          text NOT NULL CHECK (status IN ('in_transit', 'out_for_delivery', 'delivered', 'exception')),
    description     text NOT NULL DEFAULT '',
    at              timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fulfillment_events_fulfillment_idx ON fulfillment_events (fulfillment_id, at);

-- Every change to an order, written in the same transaction as the change.
-- kind says what changed; status is the new value of that thing.
CREATE TABLE order_history (
    id          bigserial,
    order_id    uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('status', 'payment', 'fulfillment', 'refund', 'return', 'comment')),
    status      text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT '',
    actor       text NOT NULL,
    actor_type  text NOT NULL CHECK (actor_type IN ('staff', 'token', 'system', 'customer')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- History is only ever read per order: one index serves as key and as that lookup.
    PRIMARY KEY (order_id, id)
);

CREATE TABLE staff_users (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email           text NOT NULL CHECK (length(email) BETWEEN 3 AND 255),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    role            text NOT NULL CHECK (role IN ('admin', 'support', 'warehouse')),
    password_hash   text NOT NULL,
    disabled        boolean NOT NULL DEFAULT false,
    failed_logins   integer NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    last_login_at   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_users_email_key ON staff_users (lower(email));

CREATE TABLE api_tokens (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    -- SHA-256 of the token: the token itself is shown once and never stored
    token_hash    bytea NOT NULL UNIQUE,
    prefix        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);

CREATE TABLE idempotency_keys (
    scope         text NOT NULL,
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash  bytea NOT NULL,
    order_id      uuid REFERENCES orders (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

CREATE TABLE stripe_events (
    id           text PRIMARY KEY,
    type         text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);

-- scs/pgxstore's table
CREATE TABLE sessions (
    token   text PRIMARY KEY,
    data    bytea NOT NULL,
    expiry  timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- +goose Down
DROP TABLE sessions, stripe_events, idempotency_keys, api_tokens, staff_users, order_history,
    fulfillment_events, fulfillment_items, fulfillments, refunds, return_items, returns, payments,
    inventory_reservations, order_items, orders, shipping_rates, tax_rates, coupons,
    inventory_adjustments, inventory, products;
DROP FUNCTION next_order_number();
DROP SEQUENCE order_number_seq;
