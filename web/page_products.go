package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

const productsPerPage = 50

func (s *Server) productsPage(c echo.Context) error {
	return s.renderProducts(c, c.Request().URL.RawQuery, http.StatusOK, views.AdjustForm{})
}

// renderProducts draws the list as the query string rawQuery asks, with adjust re-rendered
// when a stock adjustment failed.
func (s *Server) renderProducts(c echo.Context, rawQuery string, status int, adjust views.AdjustForm) error {
	query, _ := url.ParseQuery(rawQuery)
	q, after := query.Get("q"), query.Get("after")
	from, _ := strconv.Atoi(query.Get("n"))
	from = max(from, 1)
	page, err := s.svc.ListProducts(c.Request().Context(), q, after, productsPerPage)
	if err != nil {
		return err
	}
	v := views.ProductsView{Query: q, Adjust: adjust, Back: "/products"}
	if rawQuery != "" {
		v.Back += "?" + rawQuery
	}
	for _, p := range page.Products {
		v.Rows = append(v.Rows, productRow(p))
	}
	v.Pager = views.Pager{Noun: "products", Total: page.Total, From: from, To: from + len(v.Rows) - 1}
	if len(v.Rows) == 0 {
		v.Pager.From, v.Pager.To = 0, 0
	}
	base := url.Values{}
	if q != "" {
		base.Set("q", q)
	}
	if after != "" {
		v.Pager.FirstHref = "/products?" + base.Encode()
	}
	if page.NextAfter != "" {
		next := url.Values{"after": {page.NextAfter}, "n": {strconv.Itoa(v.Pager.To + 1)}}
		if q != "" {
			next.Set("q", q)
		}
		v.Pager.NextHref = "/products?" + next.Encode()
	}
	return render(c, status, views.ProductsPage(s.page(c, "Products", "products"), v))
}

func (s *Server) adjustStock(c echo.Context) error {
	sku := c.Param("sku")
	form := views.AdjustForm{SKU: sku, Delta: c.FormValue("delta"), Reason: strings.TrimSpace(c.FormValue("reason"))}
	delta, perr := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(form.Delta), "+"))
	var err error
	if perr != nil {
		err = domain.FieldErrors{"delta": "must be a whole number such as 12 or -3"}.Err()
	} else {
		var inv domain.Inventory
		inv, err = s.svc.AdjustStock(c.Request().Context(), actorOf(c), sku, delta, form.Reason)
		if err == nil {
			s.flashSuccess(c, fmt.Sprintf("Stock of %s changed by %+d: %d on hand, %d available.", sku, delta, inv.OnHand, inv.Available()))
			return c.Redirect(http.StatusSeeOther, localPath(c.FormValue("back")))
		}
	}
	fail, err := s.formErrors(c, err, "delta", "reason")
	if err != nil {
		return err
	}
	form.Errors = fail.Errors
	// re-render the list the form came from
	rawQuery := ""
	if back, uerr := url.Parse(localPath(c.FormValue("back"))); uerr == nil && back.Path == "/products" {
		rawQuery = back.RawQuery
	}
	return s.renderProducts(c, rawQuery, fail.Status, form)
}

func (s *Server) newProductPage(c echo.Context) error {
	f := views.ProductForm{New: true, Active: true, Currency: "USD"}
	return render(c, http.StatusOK, views.ProductFormPage(s.page(c, "Add product", "products"), f))
}

func (s *Server) editProductPage(c echo.Context) error {
	p, err := s.svc.GetProduct(c.Request().Context(), c.Param("sku"))
	if err != nil {
		return err
	}
	f := views.ProductForm{SKU: p.SKU, Name: p.Name, Price: domain.FormatAmount(p.Price, p.Currency),
		Currency: p.Currency, Active: p.Active}
	if p.SalePrice.Valid {
		f.SalePrice = domain.FormatAmount(p.SalePrice.Decimal, p.Currency)
	}
	return render(c, http.StatusOK, views.ProductFormPage(s.page(c, "Edit "+p.SKU, "products"), f))
}

// createProduct is POST /products: a new SKU with no stock; an existing SKU is refused.
func (s *Server) createProduct(c echo.Context) error {
	f, p, err := productInput(c, strings.TrimSpace(c.FormValue("sku")))
	f.New = true
	if err == nil {
		_, err = s.svc.CreateProduct(c.Request().Context(), p)
	}
	if err != nil {
		return s.productRefused(c, "Add product", f, err)
	}
	s.flashSuccess(c, "Product "+p.SKU+" added with no stock; adjust its stock when goods arrive.")
	return c.Redirect(http.StatusSeeOther, "/products?q="+url.QueryEscape(p.SKU))
}

// updateProduct is POST /products/{sku}.
func (s *Server) updateProduct(c echo.Context) error {
	f, p, err := productInput(c, c.Param("sku"))
	if err == nil {
		_, err = s.svc.UpdateProduct(c.Request().Context(), p)
	}
	if err != nil {
		return s.productRefused(c, "Edit "+p.SKU, f, err)
	}
	s.flashSuccess(c, "Product "+p.SKU+" saved.")
	return c.Redirect(http.StatusSeeOther, "/products?q="+url.QueryEscape(p.SKU))
}

// productInput reads the product form: the form as typed, the product, and the amounts
// that are not numbers.
func productInput(c echo.Context, sku string) (views.ProductForm, domain.Product, error) {
	f := views.ProductForm{SKU: sku, Name: c.FormValue("name"), Price: c.FormValue("price"), SalePrice: c.FormValue("sale_price"),
		Currency: strings.ToUpper(strings.TrimSpace(c.FormValue("currency"))), Active: c.FormValue("active") == "on"}
	fe := domain.FieldErrors{}
	p := domain.Product{SKU: sku, Name: strings.TrimSpace(f.Name), Currency: f.Currency, Active: f.Active}
	p.Price, _ = domain.FormDecimal(fe, "price", f.Price, domain.MoneyDigits, true)
	if sale, ok := domain.FormDecimal(fe, "sale_price", f.SalePrice, domain.MoneyDigits, false); ok {
		p.SalePrice = decimal.NewNullDecimal(sale)
	}
	return f, p, fe.Err()
}

func (s *Server) productRefused(c echo.Context, title string, f views.ProductForm, err error) error {
	fail, err := s.formErrors(c, err)
	if err != nil {
		return err
	}
	f.Errors = fail.Errors
	return render(c, fail.Status, views.ProductFormPage(s.page(c, title, "products"), f))
}

// productRow is a product with its stock as lists show it.
func productRow(p service.ProductStock) views.ProductRow {
	return views.ProductRow{SKU: p.Product.SKU, Name: p.Product.Name, Price: p.Product.Price,
		SalePrice: p.Product.SalePrice, Currency: p.Product.Currency, Active: p.Product.Active,
		OnHand: p.Stock.OnHand, Reserved: p.Stock.Reserved, Available: p.Stock.Available()}
}
