-- +goose Up
-- Back-office order exports too large to stream in one response. A river job
-- (internal/jobs) writes the file into the row, so that whichever `oms serve` process a
-- request reaches shows the progress and serves the download, and a restart loses
-- nothing (the job runs again). Rows are deleted once expires_at has passed.
CREATE TABLE exports (
    id           uuid PRIMARY KEY,
    staff_id     uuid NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    filter       jsonb NOT NULL,
    ids          jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(ids) = 'array'),
    format       text NOT NULL CHECK (format IN ('csv', 'json', 'xlsx')),
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    done         integer NOT NULL DEFAULT 0 CHECK (done >= 0),
    total        integer NOT NULL DEFAULT 0 CHECK (total >= 0),
    total_exact  boolean NOT NULL DEFAULT true,
    error        text NOT NULL DEFAULT '',
    -- The whole file; service.MaxExportBytes keeps it under this bound.
    content      bytea CHECK (octet_length(content) <= 67108864),
    filename     text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    content_type text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    expires_at   timestamptz NOT NULL,
    CHECK ((status = 'done') = (content IS NOT NULL)),
    CHECK ((status IN ('done', 'failed')) = (finished_at IS NOT NULL)),
    CHECK ((status = 'failed') = (error <> ''))
);
-- A user's exports (the running-exports limit; deleting a staff user).
CREATE INDEX exports_staff_idx ON exports (staff_id, status);
-- The cleanup job.
CREATE INDEX exports_expires_at_idx ON exports (expires_at);

-- +goose Down
DROP TABLE exports;
