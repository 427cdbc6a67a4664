package queries

// Hand-written.

import "github.com/jackc/pgx/v5"

// Tx is the transaction these queries run in, or nil outside one: the job queue enqueues
// in it, so that a job exists exactly when the change that wants it commits.
func (q *Queries) Tx() pgx.Tx {
	tx, _ := q.db.(pgx.Tx)
	return tx
}
