-- +goose Up
-- Saved views of the order list (issue 28): a list query under a name, owned by a staff
-- user or an API token, for its owner alone or shared with everyone or with one role.
CREATE TABLE saved_views (
    id              uuid PRIMARY KEY,
    name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
    query           text NOT NULL CHECK (char_length(query) <= 2000),
    shared_with     text NOT NULL CHECK (shared_with IN ('me', 'everyone', 'admin', 'support', 'warehouse')),
    owner_staff_id  uuid REFERENCES staff_users (id) ON DELETE CASCADE,
    owner_token_id  uuid REFERENCES api_tokens (id) ON DELETE CASCADE,
    owner_name      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((owner_staff_id IS NULL) <> (owner_token_id IS NULL))
);
CREATE INDEX saved_views_staff_idx ON saved_views (owner_staff_id, created_at) WHERE owner_staff_id IS NOT NULL;
CREATE INDEX saved_views_token_idx ON saved_views (owner_token_id, created_at) WHERE owner_token_id IS NOT NULL;
CREATE INDEX saved_views_shared_idx ON saved_views (shared_with, created_at) WHERE shared_with <> 'me';

-- The order of a staff user's tabs (views missing from it come after, oldest first).
CREATE TABLE saved_view_tabs (
    staff_id  uuid PRIMARY KEY REFERENCES staff_users (id) ON DELETE CASCADE,
    view_ids  uuid[] NOT NULL
);

-- The view each role's list opens with (the view must be visible to the role).
CREATE TABLE role_default_views (
    role        text PRIMARY KEY CHECK (role IN ('admin', 'support', 'warehouse')),
    view_id     uuid NOT NULL REFERENCES saved_views (id) ON DELETE CASCADE,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE role_default_views, saved_view_tabs, saved_views;
