package web

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/domain"
)

// parseOrderFilter reads an order-list view from query parameters; the API and the
// back-office list share it, so a list URL means the same thing in both. Multi-valued
// filters accept repeats or commas (status=paid,processing).
func parseOrderFilter(v url.Values) (domain.OrderFilter, error) {
	f := domain.OrderFilter{Q: strings.TrimSpace(v.Get("q")), Email: strings.TrimSpace(v.Get("email")),
		Sort: v.Get("sort"), Cursor: v.Get("cursor")}
	fe := domain.FieldErrors{}
	for _, s := range multi(v, "status") {
		f.Statuses = append(f.Statuses, domain.Status(s))
	}
	for _, s := range multi(v, "payment_status") {
		f.PaymentStatuses = append(f.PaymentStatuses, domain.PaymentStatus(s))
	}
	for _, s := range multi(v, "fulfillment_status") {
		f.FulfillmentStatuses = append(f.FulfillmentStatuses, domain.FulfillmentStatus(s))
	}
	f.IDs = multi(v, "ids")
	f.Tag = v.Get("tag")
	f.SLA = strings.TrimSpace(v.Get("sla"))
	switch v.Get("held") {
	case "":
	case "true":
		f.Held = new(true)
	case "false":
		f.Held = new(false)
	default:
		fe.Add("held", "must be true or false")
	}
	f.CreatedFrom = parseTimeParam(fe, v, "created_from", false)
	f.CreatedTo = parseTimeParam(fe, v, "created_to", true)
	f.TotalMin = parseDecimalParam(fe, v, "total_min")
	f.TotalMax = parseDecimalParam(fe, v, "total_max")
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			fe.Add("limit", "must be an integer")
		case n < 1:
			fe.Add("limit", "must be between 1 and 200")
		}
		f.Limit = n
	}
	if len(fe) > 0 {
		return f, &domain.Error{Code: domain.CodeBadRequest, Message: "some query parameters are malformed", Fields: fe}
	}
	return f, nil
}

func multi(v url.Values, key string) []string {
	var out []string
	for _, raw := range v[key] {
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// parseTimeParam accepts RFC 3339 or a plain date. A plain date as an upper bound means
// the whole day, so created_to=2026-11-25 includes orders of the 25th.
func parseTimeParam(fe domain.FieldErrors, v url.Values, key string, upper bool) *time.Time {
	s := strings.TrimSpace(v.Get(key))
	if s == "" {
		return nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return &t
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		fe.Add(key, "must be a date (2026-11-25) or an RFC 3339 time")
		return nil
	}
	if upper {
		t = t.AddDate(0, 0, 1)
	}
	return &t
}

// parseDecimalParam reads an amount to compare with a money column.
func parseDecimalParam(fe domain.FieldErrors, v url.Values, key string) decimal.NullDecimal {
	s := strings.TrimSpace(v.Get(key))
	if s == "" {
		return decimal.NullDecimal{}
	}
	d, err := domain.ParseDecimal(s, domain.MoneyDigits)
	if err != nil {
		fe.Add(key, err.Error())
		return decimal.NullDecimal{}
	}
	return decimal.NewNullDecimal(d)
}

// viewParams are what a saved view may hold: the list's filters, its sort and the
// columns it shows (not a page position, nor a selection of orders).
var viewParams = []string{"q", "status", "payment_status", "fulfillment_status", "email", "tag", "held", "sla",
	"created_from", "created_to", "total_min", "total_max", "sort", "limit", "columns"}

// validateViewQuery checks a saved view's query string as the list would read it and
// returns it canonical (one view, one query); every problem is a validation error of
// the field "query".
func validateViewQuery(raw string) (string, error) {
	invalid := func(msg string) error { return domain.FieldErrors{"query": msg}.Err() }
	v, err := url.ParseQuery(strings.TrimPrefix(strings.TrimSpace(raw), "?"))
	if err != nil {
		return "", invalid("must be an order list query string such as status=paid&tag=vip")
	}
	for k := range v {
		if !slices.Contains(viewParams, k) {
			return "", invalid(fmt.Sprintf("has an unknown filter %.40q; a view holds %s", k, strings.Join(viewParams, ", ")))
		}
	}
	f, err := parseOrderFilter(v)
	if err == nil {
		f.Normalize()
		err = f.Validate()
	}
	if _, cerr := listColumns(v); err == nil {
		err = cerr
	}
	var de *domain.Error
	if errors.As(err, &de) {
		var msgs []string
		for _, k := range slices.Sorted(maps.Keys(de.Fields)) {
			msgs = append(msgs, k+" "+de.Fields[k])
		}
		return "", invalid(strings.Join(msgs, "; "))
	}
	if err != nil {
		return "", err
	}
	return canonicalQuery(v).Encode(), nil
}

// Optional columns of the order list: a view may show fewer (columns=total,status);
// without the parameter the list shows them all.
var listColumnNames = []string{"date", "customer", "total", "status", "items", "ship_to", "ship_by"}

// listColumns reads the columns parameter: the columns shown, all when it is absent.
func listColumns(v url.Values) (map[string]bool, error) {
	shown := map[string]bool{}
	cols := multi(v, "columns")
	if len(cols) == 0 {
		cols = listColumnNames
	}
	for _, c := range cols {
		if !slices.Contains(listColumnNames, c) {
			return nil, domain.FieldErrors{"columns": "must name columns among " + strings.Join(listColumnNames, ", ")}.Err()
		}
		shown[c] = true
	}
	return shown, nil
}
