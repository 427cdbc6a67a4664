package queries

// Hand-written: connection setup for the types the generated code uses.

import (
	"context"

	pgxdecimal "github.com/jackc/pgx-shopspring-decimal"
	"github.com/jackc/pgx/v5"
)

// RegisterTypes teaches a connection the Go types the generated code uses beyond pgx's
// own: shopspring decimals, sent and read as binary NUMERIC rather than through text.
// Use it as pgxpool.Config.AfterConnect.
func RegisterTypes(_ context.Context, conn *pgx.Conn) error {
	pgxdecimal.Register(conn.TypeMap())
	return nil
}
