package queries

// Hand-written: connection setup for the types the generated code uses.

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	pgxdecimal "github.com/jackc/pgx-shopspring-decimal"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// RegisterTypes teaches a connection the Go types the generated code uses beyond pgx's
// own, so that they travel in PostgreSQL's binary formats: shopspring decimals as
// NUMERIC, google/uuid values (and arrays of them) as UUID. Without it pgx takes their
// database/sql interfaces, through text, which cost more than the queries of a page.
// Use it as pgxpool.Config.AfterConnect.
func RegisterTypes(_ context.Context, conn *pgx.Conn) error {
	m := conn.TypeMap()
	pgxdecimal.Register(m)
	m.RegisterType(&pgtype.Type{Name: "numeric", OID: pgtype.NumericOID, Codec: numericCodec{}})
	t := &pgtype.Type{Name: "uuid", OID: pgtype.UUIDOID, Codec: uuidCodec{}}
	m.RegisterType(t)
	m.RegisterType(&pgtype.Type{Name: "_uuid", OID: pgtype.UUIDArrayOID, Codec: &pgtype.ArrayCodec{ElementType: t}})
	m.RegisterDefaultPgType(uuid.UUID{}, "uuid")
	m.RegisterDefaultPgType([]uuid.UUID{}, "_uuid")
	return nil
}

// numericCodec scans NUMERIC straight into decimal.Decimal and decimal.NullDecimal.
// (pgx tries a target's sql.Scanner before the wrappers pgxdecimal registers, so without
// it every amount read would go through its text form.)
type numericCodec struct{ pgxdecimal.NumericCodec }

func (c numericCodec) PlanScan(m *pgtype.Map, oid uint32, format int16, target any) pgtype.ScanPlan {
	switch target.(type) {
	case *decimal.Decimal:
		if next := c.NumericCodec.PlanScan(m, oid, format, (*pgxdecimal.Decimal)(nil)); next != nil {
			return decimalScanPlan{next}
		}
	case *decimal.NullDecimal:
		if next := c.NumericCodec.PlanScan(m, oid, format, (*pgxdecimal.NullDecimal)(nil)); next != nil {
			return decimalScanPlan{next}
		}
	}
	return c.NumericCodec.PlanScan(m, oid, format, target)
}

type decimalScanPlan struct{ next pgtype.ScanPlan }

func (p decimalScanPlan) Scan(src []byte, target any) error {
	switch t := target.(type) {
	case *decimal.Decimal:
		return p.next.Scan(src, (*pgxdecimal.Decimal)(t))
	case *decimal.NullDecimal:
		return p.next.Scan(src, (*pgxdecimal.NullDecimal)(t))
	}
	return fmt.Errorf("cannot scan numeric into %T", target)
}

// uuidCodec is pgx's UUID codec that also encodes and scans uuid.UUID and uuid.NullUUID
// directly, as the 16 bytes they are.
type uuidCodec struct{ pgtype.UUIDCodec }

func (c uuidCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	switch value.(type) {
	case uuid.UUID, uuid.NullUUID:
		if next := c.UUIDCodec.PlanEncode(m, oid, format, pgtype.UUID{}); next != nil {
			return uuidEncodePlan{next}
		}
	}
	return c.UUIDCodec.PlanEncode(m, oid, format, value)
}

func (c uuidCodec) PlanScan(m *pgtype.Map, oid uint32, format int16, target any) pgtype.ScanPlan {
	switch target.(type) {
	case *uuid.UUID, *uuid.NullUUID:
		if next := c.UUIDCodec.PlanScan(m, oid, format, &pgtype.UUID{}); next != nil {
			return uuidScanPlan{next}
		}
	}
	return c.UUIDCodec.PlanScan(m, oid, format, target)
}

type uuidEncodePlan struct{ next pgtype.EncodePlan }

func (p uuidEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	switch v := value.(type) {
	case uuid.UUID:
		return p.next.Encode(pgtype.UUID{Bytes: v, Valid: true}, buf)
	case uuid.NullUUID:
		return p.next.Encode(pgtype.UUID{Bytes: v.UUID, Valid: v.Valid}, buf)
	}
	return nil, fmt.Errorf("cannot encode %T as uuid", value)
}

type uuidScanPlan struct{ next pgtype.ScanPlan }

func (p uuidScanPlan) Scan(src []byte, target any) error {
	var u pgtype.UUID
	if err := p.next.Scan(src, &u); err != nil {
		return err
	}
	switch t := target.(type) {
	case *uuid.UUID:
		if !u.Valid {
			return errors.New("cannot scan NULL into *uuid.UUID")
		}
		*t = u.Bytes
	case *uuid.NullUUID:
		*t = uuid.NullUUID{UUID: u.Bytes, Valid: u.Valid}
	default:
		return fmt.Errorf("cannot scan uuid into %T", target)
	}
	return nil
}
