-- name: CreateStaffUser :one
INSERT INTO staff_users (email, name, role, password_hash) VALUES ($1, $2, $3, $4) RETURNING *;
