-- +goose NO TRANSACTION
-- +goose Up
-- The store-wide activity log (issue 28): every order history row, and every change staff
-- make outside orders (activity), read newest first by keyset on indexes, however many
-- rows there are. Without a transaction, so that the history indexes are built without
-- blocking the writes of a live shop (CONCURRENTLY); each statement may run again.

-- History names a staff user by name; the log names them by email, which is unique.
ALTER TABLE order_history ADD COLUMN IF NOT EXISTS actor_email text;

CREATE TABLE IF NOT EXISTS activity (
    id          bigserial PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- domain.Actor.LogName: a staff email, a token's name, or customer, system, cli
    actor       text NOT NULL,
    actor_type  text NOT NULL CHECK (actor_type IN ('staff', 'token', 'system', 'customer', 'cli')),
    kind        text NOT NULL CHECK (kind IN ('settings', 'user', 'token', 'webhook_endpoint', 'stock', 'login', 'login_failed')),
    summary     text NOT NULL,
    details     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object')
);
CREATE INDEX IF NOT EXISTS activity_created_idx ON activity (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS activity_actor_idx ON activity (actor, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS activity_kind_idx ON activity (kind, created_at DESC, id DESC);

-- The whole history newest first, and each actor's (as the log names them: LogName).
CREATE INDEX CONCURRENTLY IF NOT EXISTS order_history_created_idx ON order_history (created_at DESC, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS order_history_actor_idx ON order_history (
    (CASE actor_type WHEN 'staff' THEN coalesce(actor_email, actor) WHEN 'token' THEN actor ELSE actor_type END),
    created_at DESC, id DESC);

-- +goose Down
DROP INDEX IF EXISTS order_history_actor_idx;
DROP INDEX IF EXISTS order_history_created_idx;
DROP TABLE IF EXISTS activity;
ALTER TABLE order_history DROP COLUMN IF EXISTS actor_email;
