package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// PutProduct creates or replaces a product; created tells which. A new product starts
// with an inventory row of zero stock.
func (s *Service) PutProduct(ctx context.Context, p domain.Product) (out domain.Product, created bool, err error) {
	p.Currency = strings.ToUpper(p.Currency)
	if err := p.Validate(); err != nil {
		return domain.Product{}, false, err
	}
	err = s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		row, err := q.UpsertProduct(ctx, queries.UpsertProductParams{
			Sku: p.SKU, Name: p.Name, Price: p.Price, SalePrice: p.SalePrice, Currency: p.Currency, Active: p.Active,
		})
		if err != nil {
			return fmt.Errorf("upsert product %s: %w", p.SKU, err)
		}
		if err := q.EnsureInventory(ctx, p.SKU); err != nil {
			return fmt.Errorf("inventory for %s: %w", p.SKU, err)
		}
		out, created = productFromRow(queries.Product{Sku: row.Sku, Name: row.Name, Price: row.Price,
			SalePrice: row.SalePrice, Currency: row.Currency, Active: row.Active,
			CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}), row.Inserted
		return nil
	})
	return out, created, err
}

// GetProduct returns the product with sku.
func (s *Service) GetProduct(ctx context.Context, sku string) (domain.Product, error) {
	row, err := queries.New(s.pool).GetProduct(ctx, sku)
	if err != nil {
		return domain.Product{}, notFound(err, "product")
	}
	return productFromRow(row), nil
}

// GetInventory returns the stock of sku.
func (s *Service) GetInventory(ctx context.Context, sku string) (domain.Inventory, error) {
	row, err := queries.New(s.pool).GetInventory(ctx, sku)
	if err != nil {
		return domain.Inventory{}, notFound(err, "inventory for "+sku)
	}
	return inventoryFromRow(row), nil
}

// SetOnHand sets the counted stock of sku; it may not go below what is reserved.
func (s *Service) SetOnHand(ctx context.Context, actor domain.Actor, sku string, onHand int) (domain.Inventory, error) {
	if onHand < 0 || onHand > domain.MaxStock {
		return domain.Inventory{}, &domain.Error{Code: domain.CodeValidationFailed, Message: "on_hand is out of range",
			Fields: map[string]string{"on_hand": fmt.Sprintf("must be between 0 and %d", domain.MaxStock)}}
	}
	var inv domain.Inventory
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		before, err := q.GetInventoryForUpdate(ctx, sku)
		if err != nil {
			return notFound(err, "inventory for "+sku)
		}
		row, err := q.SetOnHand(ctx, queries.SetOnHandParams{Sku: sku, OnHand: int32(onHand)})
		if err != nil {
			return stockError(err, sku)
		}
		if delta := int32(onHand) - before.OnHand; delta != 0 {
			if err := q.InsertInventoryAdjustment(ctx, queries.InsertInventoryAdjustmentParams{
				Sku: sku, Delta: delta, Reason: "stock count", Actor: actor.Name}); err != nil {
				return fmt.Errorf("record adjustment of %s: %w", sku, err)
			}
			if err := audit(ctx, q, actor, domain.ActivityStock, fmt.Sprintf("Set the stock of %s to %d (was %d)", sku, onHand, before.OnHand),
				map[string]any{"sku": sku, "on_hand": onHand, "delta": delta, "reason": "stock count"}); err != nil {
				return err
			}
		}
		inv = inventoryFromRow(row)
		return nil
	})
	return inv, err
}

// AdjustStock adds delta (negative to remove) to the stock of sku with a reason.
func (s *Service) AdjustStock(ctx context.Context, actor domain.Actor, sku string, delta int, reason string) (domain.Inventory, error) {
	fe := domain.FieldErrors{}
	if delta == 0 || delta < -domain.MaxStock || delta > domain.MaxStock {
		fe.Add("delta", fmt.Sprintf("must be a non-zero number between -%d and %d", domain.MaxStock, domain.MaxStock))
	}
	domain.ValidateNote(fe, "reason", reason)
	if err := fe.Err(); err != nil {
		return domain.Inventory{}, err
	}
	var inv domain.Inventory
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		row, err := q.AdjustOnHand(ctx, queries.AdjustOnHandParams{Sku: sku, Delta: int32(delta)})
		if err != nil {
			return stockError(notFound(err, "inventory for "+sku), sku)
		}
		if row.OnHand > domain.MaxStock {
			return &domain.Error{Code: domain.CodeValidationFailed, Message: "stock would exceed the maximum",
				Fields: map[string]string{"delta": fmt.Sprintf("on_hand may not exceed %d", domain.MaxStock)}}
		}
		if err := q.InsertInventoryAdjustment(ctx, queries.InsertInventoryAdjustmentParams{
			Sku: sku, Delta: int32(delta), Reason: reason, Actor: actor.Name}); err != nil {
			return fmt.Errorf("record adjustment of %s: %w", sku, err)
		}
		summary := fmt.Sprintf("Adjusted the stock of %s by %+d to %d", sku, delta, row.OnHand)
		if reason != "" {
			summary += ": " + reason
		}
		if err := audit(ctx, q, actor, domain.ActivityStock, summary,
			map[string]any{"sku": sku, "on_hand": row.OnHand, "delta": delta, "reason": reason}); err != nil {
			return err
		}
		inv = inventoryFromRow(row)
		return nil
	})
	return inv, err
}

// stockError maps the inventory CHECK constraints to the domain's conflict.
func stockError(err error, sku string) error {
	if code, constraint := pgCode(err); code == pgCheckViolation {
		if constraint == "inventory_on_hand_covers_reserved" {
			return domain.Errorf(domain.CodeInventoryBelowReserved, "stock of %s cannot go below what is reserved for open orders", sku)
		}
		return domain.Errorf(domain.CodeInventoryBelowReserved, "stock of %s cannot go below zero", sku)
	}
	return err
}

func productFromRow(r queries.Product) domain.Product {
	return domain.Product{SKU: r.Sku, Name: r.Name, Price: r.Price, SalePrice: r.SalePrice,
		Currency: r.Currency, Active: r.Active, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func inventoryFromRow(r queries.Inventory) domain.Inventory {
	return domain.Inventory{SKU: r.Sku, OnHand: int(r.OnHand), Reserved: int(r.Reserved)}
}

// ProductStock is a product with its stock, as the products page lists it.
type ProductStock struct {
	Product domain.Product
	Stock   domain.Inventory
}

// ProductPage is one page of the product list.
type ProductPage struct {
	Products  []ProductStock
	Total     int    // products matching the search, on all pages
	NextAfter string // the after of the next page; empty on the last page
}

// ListProducts returns up to limit products whose SKU or name contains search, by SKU,
// starting after the SKU after (keyset pagination).
func (s *Service) ListProducts(ctx context.Context, search, after string, limit int) (ProductPage, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var qp *string
	if search = strings.TrimSpace(search); search != "" {
		pattern := queries.EscapeLike(search) // the text as typed: % and _ match themselves
		qp = &pattern
	}
	q := queries.New(s.pool)
	rows, err := q.ListProducts(ctx, queries.ListProductsParams{Q: qp, After: after, Lim: int32(limit + 1)})
	if err != nil {
		return ProductPage{}, fmt.Errorf("list products: %w", err)
	}
	total, err := q.CountProducts(ctx, qp)
	if err != nil {
		return ProductPage{}, fmt.Errorf("count products: %w", err)
	}
	page := ProductPage{Total: int(total)}
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextAfter = rows[limit-1].Sku
	}
	for _, r := range rows {
		page.Products = append(page.Products, ProductStock{
			Product: domain.Product{SKU: r.Sku, Name: r.Name, Price: r.Price, SalePrice: r.SalePrice,
				Currency: r.Currency, Active: r.Active, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt},
			Stock: domain.Inventory{SKU: r.Sku, OnHand: int(r.OnHand), Reserved: int(r.Reserved)},
		})
	}
	return page, nil
}

// CreateProduct adds a product with zero stock; an existing SKU is a conflict, never
// overwritten (PutProduct is the API's create-or-replace).
func (s *Service) CreateProduct(ctx context.Context, p domain.Product) (domain.Product, error) {
	p.Currency = strings.ToUpper(p.Currency)
	if err := p.Validate(); err != nil {
		return domain.Product{}, err
	}
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		n, err := q.InsertProduct(ctx, queries.InsertProductParams{Sku: p.SKU, Name: p.Name, Price: p.Price,
			SalePrice: p.SalePrice, Currency: p.Currency, Active: p.Active})
		if err != nil {
			return fmt.Errorf("insert product %s: %w", p.SKU, err)
		}
		if n == 0 {
			return &domain.Error{Code: domain.CodeConflict, Message: "a product with SKU " + p.SKU + " already exists",
				Fields: map[string]string{"sku": "is already used by another product"}}
		}
		if err := q.EnsureInventory(ctx, p.SKU); err != nil {
			return fmt.Errorf("inventory for %s: %w", p.SKU, err)
		}
		return nil
	})
	if err != nil {
		return domain.Product{}, err
	}
	return s.GetProduct(ctx, p.SKU)
}

// UpdateProduct changes an existing product (its stock stays as it is); an unknown SKU is
// not found, never created.
func (s *Service) UpdateProduct(ctx context.Context, p domain.Product) (domain.Product, error) {
	p.Currency = strings.ToUpper(p.Currency)
	if err := p.Validate(); err != nil {
		return domain.Product{}, err
	}
	row, err := queries.New(s.pool).UpdateProduct(ctx, queries.UpdateProductParams{Sku: p.SKU, Name: p.Name,
		Price: p.Price, SalePrice: p.SalePrice, Currency: p.Currency, Active: p.Active})
	if err != nil {
		return domain.Product{}, notFound(err, "product")
	}
	return productFromRow(row), nil
}
