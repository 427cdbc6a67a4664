package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

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
		qp = &search
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
