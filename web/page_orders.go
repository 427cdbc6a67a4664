package web

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

// The list's query string is the view: the filters parseOrderFilter reads (shared with
// the API, so that a list URL means the same in both), plus the page position:
//
//	cursor  the keyset cursor of this page (service.ListOrders)
//	prev    the cursors of the pages before it, oldest first, "."-separated, so that
//	        "Previous" works with a forward-only keyset; at most maxPrevCursors are kept
//	        (beyond, "Previous" at the oldest kept page leads to the first page)
//	n       the position of this page's first row, for "51–100"
const maxPrevCursors = 20

// pageParams are the query parameters that say where in the view a page is, not what the
// view shows; view=all is the whole list of a role that opens another view by default.
var pageParams = []string{"cursor", "prev", "n", "view"}

// orderTab is one of the list's common views: a fixed set of status filters. Search,
// dates, amounts and sort are kept when switching tabs.
//
// "Returns open" is status=returned: orders whose goods came back and await their refund.
// Returns requested on delivered orders are not an order-list filter; the returns queue
// (/returns) lists them.
type orderTab struct {
	label   string
	filters url.Values
}

var openStatuses = "created,pending,paid,processing,shipped,delivered"

var orderTabs = []orderTab{
	{"All", url.Values{}},
	{"Unpaid", url.Values{"status": {openStatuses}, "payment_status": {"pending,partially_paid"}}},
	{"Ready to ship", url.Values{"status": {"paid,processing"}, "fulfillment_status": {"unfulfilled,partially_fulfilled"}}},
	{"Shipped", url.Values{"status": {"shipped"}}},
	{"Returns open", url.Values{"status": {"returned"}}},
	{"Cancelled", url.Values{"status": {"cancelled"}}},
}

// tabFilterKeys are the filters a tab sets (and replaces when chosen).
var tabFilterKeys = []string{"status", "payment_status", "fulfillment_status"}

func (s *Server) ordersPage(c echo.Context) error {
	if c.Request().URL.RawQuery == "" && !isHTMX(c) {
		// The list as the user's role opens it (an admin's choice), when it has a view.
		me, _ := staffOf(c)
		dv, err := s.svc.DefaultView(c.Request().Context(), me.Role)
		if err != nil {
			return err
		}
		if dv != nil && dv.Query != "" {
			return c.Redirect(http.StatusSeeOther, "/orders?"+dv.Query)
		}
	}
	return s.renderOrders(c, nil)
}

// renderOrders draws the list the query asks for; save, when not nil, is the "Save view"
// form sent with errors, drawn open with them.
func (s *Server) renderOrders(c echo.Context, save *views.SaveViewForm) error {
	q := canonicalQuery(c.QueryParams())
	canon := "/orders" + queryString(q)
	if c.Request().URL.RawQuery != "" && !sameQuery(c.QueryParams(), q) {
		// Empty form fields (a submitted filter panel) leave the address bar clean.
		if !isHTMX(c) {
			return c.Redirect(http.StatusSeeOther, canon)
		}
	}
	if isHTMX(c) {
		c.Response().Header().Set("HX-Push-Url", canon)
	}
	v, err := s.ordersView(c, q)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if save != nil {
		v.SaveView, status = *save, http.StatusUnprocessableEntity
	}
	if len(v.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	} else {
		page, err := s.listOrders(c.Request().Context(), q)
		if err != nil {
			fields, ferr := s.filterErrors(c, err)
			if ferr != nil {
				return ferr
			}
			v.Errors, status = fields, http.StatusUnprocessableEntity
		} else {
			fillOrderPage(&v, q, page)
		}
	}
	p := s.page(c, "Orders", "orders")
	if b := s.sessions.PopBytes(c.Request().Context(), bulkSummaryKey); b != nil {
		var sum views.BulkSummary
		if json.Unmarshal(b, &sum) == nil {
			v.Summary = &sum
		}
	}
	return render(c, status, views.OrdersPage(p, v))
}

// listOrders reads the page q asks for.
func (s *Server) listOrders(ctx context.Context, q url.Values) (service.OrderPage, error) {
	f, err := parseOrderFilter(q)
	if err != nil {
		// Name every bad filter at once, not only those the parser saw.
		var de *domain.Error
		if errors.As(err, &de) && de.Fields != nil {
			f.Normalize()
			var ve *domain.Error
			if errors.As(f.Validate(), &ve) {
				for k, m := range ve.Fields {
					if _, ok := de.Fields[k]; !ok {
						de.Fields[k] = m
					}
				}
			}
		}
		return service.OrderPage{}, err
	}
	return s.svc.ListOrders(ctx, f, service.RowsOnly)
}

// filterErrors places an invalid filter's messages beside the filters.
func (s *Server) filterErrors(c echo.Context, err error) (views.Errors, error) {
	fail, err := s.formErrors(c, err)
	if err != nil {
		return nil, err
	}
	if m, ok := fail.Errors["cursor"]; ok {
		fail.Errors["cursor"] = m + " (the list changed sort or the link is old)"
	}
	return fail.Errors, nil
}

// ordersView fills what does not depend on the rows: the filter form, tabs and links.
func (s *Server) ordersView(c echo.Context, q url.Values) (views.OrdersView, error) {
	view := withoutKeys(q, pageParams...)
	v := views.OrdersView{
		Query: q.Get("q"), Sort: q.Get("sort"), ClearHref: "/orders",
		Back: "/orders" + queryString(q), ViewQuery: view.Encode(),
		Filters: views.OrderFilterForm{
			Statuses: valueSet(q, "status"), Payments: valueSet(q, "payment_status"),
			Fulfillments: valueSet(q, "fulfillment_status"),
			CreatedFrom:  q.Get("created_from"), CreatedTo: q.Get("created_to"),
			TotalMin: q.Get("total_min"), TotalMax: q.Get("total_max"),
			Tag: q.Get("tag"), Held: q.Get("held"), SLA: q.Get("sla"),
		},
	}
	if v.Sort == "" {
		v.Sort = domain.SortCreatedDesc
	}
	for k := range view {
		if k != "sort" && k != "columns" {
			v.Filtered = true
		}
	}
	cols, err := listColumns(q)
	if err != nil {
		cols, _ = listColumns(url.Values{})
		v.Errors = views.Errors{"columns": "names a column the list does not have"}
	}
	v.Columns = cols
	me, _ := staffOf(c)
	saved, err := s.svc.ListViews(c.Request().Context(), service.Viewer{Actor: me.Actor(), Role: me.Role})
	if err != nil {
		return v, err
	}
	dv, err := s.svc.DefaultView(c.Request().Context(), me.Role)
	if err != nil {
		return v, err
	}
	v.Tabs, v.SavedTabs, v.Filters.FromTab = orderTabLinks(q, view, saved, dv != nil && dv.Query != "")
	if err := s.countTabs(c.Request().Context(), v.Tabs, v.SavedTabs); err != nil {
		return v, err
	}
	v.SortHrefs = sortLinks(view, v.Sort)
	v.SaveView = views.SaveViewForm{Query: view.Encode(), SharedWith: domain.ShareMe}
	return v, nil
}

// orderTabLinks are the tabs above the list: the common views, which keep the search,
// dates, amounts and sort, then the saved views the user sees, each exactly its query.
// fromTab says the status filters are exactly one common tab's. With a default view,
// "All" links to view=all, since /orders alone opens the default.
func orderTabLinks(q, view url.Values, saved []domain.SavedView, hasDefault bool) (tabs, savedTabs []views.Tab, fromTab bool) {
	current := view.Encode()
	for _, sv := range saved {
		sq, _ := url.ParseQuery(sv.Query) // checked when saved
		t := views.Tab{Label: sv.Name, Href: "/orders" + queryString(sq), Active: sv.Query == current, ViewID: sv.ID,
			Shared: sv.SharedWith, Query: sv.Query}
		savedTabs = append(savedTabs, t)
		fromTab = fromTab || t.Active
	}
	base := withoutKeys(view, tabFilterKeys...)
	for _, t := range orderTabs {
		tq := cloneValues(base)
		for k, vs := range t.filters {
			tq[k] = vs
		}
		if hasDefault && len(tq) == 0 {
			tq.Set("view", "all")
		}
		active := !fromTab
		for _, k := range tabFilterKeys {
			if !maps.Equal(valueSet(q, k), valueSet(t.filters, k)) {
				active = false
			}
		}
		tabs = append(tabs, views.Tab{Label: t.label, Href: "/orders" + queryString(tq), Active: active,
			Query: canonicalQuery(t.filters).Encode()})
		fromTab = fromTab || active
	}
	return tabs, savedTabs, fromTab
}

// countTabs sets each tab's count: of its own filters, as the list counts its total.
func (s *Server) countTabs(ctx context.Context, groups ...[]views.Tab) error {
	var filters []domain.OrderFilter
	for _, g := range groups {
		for _, t := range g {
			tq, _ := url.ParseQuery(t.Query)
			f, err := parseOrderFilter(tq)
			if err != nil {
				f.Limit = -1 // counted as invalid
			}
			filters = append(filters, f)
		}
	}
	counts, err := s.svc.CountOrders(ctx, filters)
	if err != nil {
		return err
	}
	i := 0
	for _, g := range groups {
		for j := range g {
			if n := counts[i]; n.Err == nil {
				g[j].Count = listCountText(n)
			}
			i++
		}
	}
	return nil
}

// sortLinks are the column headers' links: a column's first click sorts it descending
// (newest, largest first); the next one flips it. Ship by sorts the soonest first.
func sortLinks(view url.Values, current string) map[string]string {
	out := map[string]string{}
	sq := cloneValues(view)
	sq.Set("sort", domain.SortShipBy)
	out["ship_by"] = "/orders" + queryString(sq)
	for _, col := range []string{"created_at", "total"} {
		next := "-" + col
		if current == next {
			next = col
		}
		sq := cloneValues(view)
		sq.Set("sort", next)
		if next == domain.SortCreatedDesc {
			sq.Del("sort")
		}
		out[col] = "/orders" + queryString(sq)
	}
	return out
}

// fillOrderPage puts the rows, the count and the page links into v.
func fillOrderPage(v *views.OrdersView, q url.Values, page service.OrderPage) {
	for _, o := range page.Orders {
		v.Rows = append(v.Rows, orderRow(o))
		v.ShipByColumn = v.ShipByColumn || o.ShipBy != nil
	}
	from, _ := strconv.Atoi(q.Get("n"))
	from = max(from, 1)
	if q.Get("cursor") == "" {
		from = 1
	}
	v.Count = views.ListCount{Shown: len(v.Rows), From: from, To: from + len(v.Rows) - 1, Total: page.Total, Exact: page.TotalExact}
	if page.TotalExact && page.Total >= domain.ExactCountLimit {
		v.Count.Exact = false
	}
	pageLinks(v, q, page.NextCursor, from)
}

// orderRow is one order as the list shows it; the customer is named by name, else the
// shipping address's name, else email.
func orderRow(o domain.Order) views.OrderRow {
	name := o.Customer.Name
	if name == "" {
		name = strings.TrimSpace(o.ShippingAddress.FirstName + " " + o.ShippingAddress.LastName)
	}
	if name == "" {
		name = o.Customer.Email
	}
	return views.OrderRow{ID: o.ID, Number: o.Number, CreatedAt: o.CreatedAt,
		CustomerName: name, CustomerEmail: o.Customer.Email, Total: o.Total, Currency: o.Currency,
		Status: string(o.Status), PaymentStatus: string(o.PaymentStatus), Fulfillment: string(o.FulfillmentStatus),
		Items: o.ItemCount, Country: o.ShippingAddress.Country, Tags: o.Tags, Held: o.Hold != nil, ShipBy: o.ShipBy}
}

// pageLinks sets the first, previous and next page links. Keyset pages go forward by
// cursor; the way back is the stack of earlier cursors carried in prev.
func pageLinks(v *views.OrdersView, q url.Values, next string, from int) {
	view := withoutKeys(q, pageParams...)
	cur, prev := q.Get("cursor"), splitCursors(q.Get("prev"))
	if cur != "" {
		v.FirstHref = "/orders" + queryString(view)
		pq := cloneValues(view)
		if len(prev) > 0 {
			pq.Set("cursor", prev[len(prev)-1])
			if rest := prev[:len(prev)-1]; len(rest) > 0 {
				pq.Set("prev", strings.Join(rest, "."))
			}
			if pn := from - pageSizeOf(q); pn > 1 {
				pq.Set("n", strconv.Itoa(pn))
			} else {
				pq.Del("n")
			}
		}
		v.PrevHref = "/orders" + queryString(pq)
		if v.PrevHref == v.FirstHref {
			v.FirstHref = ""
		}
	}
	if next != "" {
		nq := cloneValues(view)
		nq.Set("cursor", next)
		nq.Set("n", strconv.Itoa(v.Count.To+1))
		if cur != "" {
			stack := append(prev, cur)
			if len(stack) > maxPrevCursors {
				stack = stack[len(stack)-maxPrevCursors:]
			}
			nq.Set("prev", strings.Join(stack, "."))
		}
		v.NextHref = "/orders" + queryString(nq)
	}
}
