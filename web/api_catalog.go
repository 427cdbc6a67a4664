package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
)

type productJSON struct {
	SKU       string    `json:"sku"`
	Name      string    `json:"name"`
	Price     string    `json:"price"`
	SalePrice *string   `json:"sale_price"`
	Currency  string    `json:"currency"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toProductJSON(p domain.Product) productJSON {
	out := productJSON{SKU: p.SKU, Name: p.Name, Price: domain.FormatAmount(p.Price, p.Currency),
		Currency: p.Currency, Active: p.Active, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
	if p.SalePrice.Valid {
		sp := domain.FormatAmount(p.SalePrice.Decimal, p.Currency)
		out.SalePrice = &sp
	}
	return out
}

type putProductRequest struct {
	Name      *string `json:"name"`
	Price     *Money  `json:"price"`
	SalePrice *Money  `json:"sale_price"`
	Currency  *string `json:"currency"`
	Active    *bool   `json:"active"`
}

func (s *Server) apiPutProduct(c echo.Context) error {
	var req putProductRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	fe := domain.FieldErrors{}
	requireField(fe, "name", req.Name != nil)
	requireField(fe, "price", req.Price != nil)
	requireField(fe, "currency", req.Currency != nil)
	if err := fe.Err(); err != nil {
		return err
	}
	p := domain.Product{SKU: c.Param("sku"), Name: *req.Name, Price: req.Price.Decimal, Currency: *req.Currency, Active: true}
	if req.SalePrice != nil {
		p.SalePrice = decimal.NewNullDecimal(req.SalePrice.Decimal)
	}
	if req.Active != nil {
		p.Active = *req.Active
	}
	out, created, err := s.svc.PutProduct(c.Request().Context(), p)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, toProductJSON(out))
}

func (s *Server) apiGetProduct(c echo.Context) error {
	p, err := s.svc.GetProduct(c.Request().Context(), c.Param("sku"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toProductJSON(p))
}

type inventoryJSON struct {
	SKU       string `json:"sku"`
	OnHand    int    `json:"on_hand"`
	Reserved  int    `json:"reserved"`
	Available int    `json:"available"`
}

func toInventoryJSON(i domain.Inventory) inventoryJSON {
	return inventoryJSON{SKU: i.SKU, OnHand: i.OnHand, Reserved: i.Reserved, Available: i.Available()}
}

func (s *Server) apiGetInventory(c echo.Context) error {
	inv, err := s.svc.GetInventory(c.Request().Context(), c.Param("sku"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toInventoryJSON(inv))
}

func (s *Server) apiPutInventory(c echo.Context) error {
	var req struct {
		OnHand *int `json:"on_hand"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.OnHand == nil {
		return domain.FieldErrors{"on_hand": "is required"}.Err()
	}
	inv, err := s.svc.SetOnHand(c.Request().Context(), actorOf(c), c.Param("sku"), *req.OnHand)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toInventoryJSON(inv))
}

func (s *Server) apiAdjustInventory(c echo.Context) error {
	var req struct {
		Delta  *int   `json:"delta"`
		Reason string `json:"reason"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Delta == nil {
		return domain.FieldErrors{"delta": "is required"}.Err()
	}
	inv, err := s.svc.AdjustStock(c.Request().Context(), actorOf(c), c.Param("sku"), *req.Delta, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toInventoryJSON(inv))
}

// requireField records a "is required" error for a missing field.
func requireField(fe domain.FieldErrors, field string, present bool) {
	if !present {
		fe.Add(field, "is required")
	}
}
