-- name: InsertSavedView :one
INSERT INTO saved_views (id, name, query, shared_with, owner_staff_id, owner_token_id, owner_name)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: CountOwnedViews :one
SELECT count(*) FROM saved_views
WHERE owner_staff_id IS NOT DISTINCT FROM sqlc.narg(staff_id)::uuid AND owner_token_id IS NOT DISTINCT FROM sqlc.narg(token_id)::uuid;

-- name: VisibleViews :many
-- The views a staff user (staff_id, role) or a token (token_id) sees: its own, those
-- shared with everyone, and (staff) those shared with its role; oldest first.
SELECT * FROM saved_views
WHERE (sqlc.narg(staff_id)::uuid IS NOT NULL AND owner_staff_id = sqlc.narg(staff_id)::uuid)
   OR (sqlc.narg(token_id)::uuid IS NOT NULL AND owner_token_id = sqlc.narg(token_id)::uuid)
   OR shared_with = 'everyone'
   OR (sqlc.narg(staff_id)::uuid IS NOT NULL AND shared_with = sqlc.arg(role)::text)
ORDER BY created_at, id;

-- name: GetSavedView :one
SELECT * FROM saved_views WHERE id = $1;

-- name: LockSavedView :one
SELECT * FROM saved_views WHERE id = $1 FOR UPDATE;

-- name: UpdateSavedView :one
UPDATE saved_views SET name = $2, query = $3, shared_with = $4, updated_at = now() WHERE id = $1 RETURNING *;

-- name: DeleteSavedView :execrows
DELETE FROM saved_views WHERE id = $1;

-- name: DropUnseenDefaults :exec
-- A view no longer shared with a role stops being that role's default.
DELETE FROM role_default_views d USING saved_views v
WHERE d.view_id = v.id AND v.id = $1 AND v.shared_with NOT IN ('everyone', d.role);

-- name: GetViewTabs :one
SELECT view_ids FROM saved_view_tabs WHERE staff_id = $1;

-- name: SetViewTabs :exec
INSERT INTO saved_view_tabs (staff_id, view_ids) VALUES ($1, $2)
ON CONFLICT (staff_id) DO UPDATE SET view_ids = EXCLUDED.view_ids;

-- name: ListRoleDefaultViews :many
SELECT d.role, d.view_id, v.name FROM role_default_views d JOIN saved_views v ON v.id = d.view_id ORDER BY d.role;

-- name: SetRoleDefaultView :exec
INSERT INTO role_default_views (role, view_id) VALUES ($1, $2)
ON CONFLICT (role) DO UPDATE SET view_id = EXCLUDED.view_id, updated_at = now();

-- name: ClearRoleDefaultView :exec
DELETE FROM role_default_views WHERE role = $1;

-- name: RoleDefaultView :one
SELECT v.* FROM role_default_views d JOIN saved_views v ON v.id = d.view_id
WHERE d.role = $1 AND v.shared_with IN ('everyone', d.role);
