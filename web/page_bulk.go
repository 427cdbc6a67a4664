package web

// Bulk actions on the orders list: change status, cancel; each order on its own, with a
// summary of what happened to each.

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/views"
)

const bulkSummaryKey = "orders_bulk_summary"

// formIDs are the orders a bulk form selected.
func formIDs(c echo.Context) []string {
	if err := c.Request().ParseForm(); err != nil {
		return nil
	}
	return multi(c.Request().Form, "ids")
}

// backToList is where a bulk action returns: the list view it came from.
func backToList(c echo.Context) string {
	back := localPath(c.FormValue("back"))
	if u, err := url.Parse(back); err != nil || u.Path != "/orders" {
		return "/orders"
	}
	return back
}

// bulkStatus moves the selected orders to one status, each on its own, and shows which
// moved and why the others could not.
func (s *Server) bulkStatus(c echo.Context) error {
	ids := formIDs(c)
	to := domain.Status(c.FormValue("status"))
	res, err := s.svc.BulkTransition(c.Request().Context(), actorOf(c), ids, to, strings.TrimSpace(c.FormValue("note")))
	if err != nil {
		return s.bulkRefused(c, err)
	}
	sum := views.BulkSummary{Action: "Status changed to " + strings.ToLower(views.Humanize(string(to))), Verb: "updated"}
	return s.finishBulk(c, ids, sum, res)
}

// bulkCancel cancels the selected orders, each on its own (stock released, optionally
// what was paid refunded), in a job whose progress the next page follows. Without
// JavaScript the first submit shows a confirmation page; with it, app.js has asked in a
// dialog and marks the form confirmed.
func (s *Server) bulkCancel(c echo.Context) error {
	ids := uniqueStrings(formIDs(c))
	reason := strings.TrimSpace(c.FormValue("reason"))
	refund := c.FormValue("refund") == "on"
	if u, _ := staffOf(c); refund && !u.Role.Can(domain.PermRefund) {
		return domain.Errorf(domain.CodeForbidden, "your role (%s) may not refund; cancel without refunding or ask a colleague", roleName(u.Role))
	}
	switch {
	case len(ids) == 0:
		return s.bulkRefused(c, domain.FieldErrors{"order_ids": "select at least one order"}.Err())
	case len(ids) > service.MaxBulkOrders:
		return s.bulkRefused(c, domain.FieldErrors{"order_ids": fmt.Sprintf("select at most %d orders", service.MaxBulkOrders)}.Err())
	}
	if c.FormValue("confirmed") != "1" {
		v := views.BulkCancelConfirm{IDs: ids, Reason: reason, Refund: refund, Back: backToList(c)}
		page, err := s.svc.ListOrders(c.Request().Context(), domain.OrderFilter{IDs: validUUIDs(ids), Limit: domain.MaxPageSize}, service.RowsOnly)
		if err != nil {
			return err
		}
		var rows views.OrdersView
		fillOrderPage(&rows, url.Values{}, page)
		v.Orders = rows.Rows
		return render(c, http.StatusOK, views.BulkCancelConfirmPage(s.page(c, "Cancel orders", "orders"), v))
	}
	b, err := s.svc.StartBulkCancel(c.Request().Context(), actorOf(c), ids, reason, refund)
	if err != nil {
		return s.bulkRefused(c, err)
	}
	return s.seeOther(c, "/orders/bulk/"+b.ID+"?"+url.Values{"back": {backToList(c)}}.Encode())
}

// bulkCancelProgress is GET /orders/bulk/{id}: how far a bulk cancellation got (htmx
// polls it), then what happened to each order.
func (s *Server) bulkCancelProgress(c echo.Context) error {
	u, _ := staffOf(c)
	b, err := s.svc.GetBulkCancellation(c.Request().Context(), u.ID, c.Param("id"))
	if err != nil {
		return err
	}
	v := views.BulkProgress{ID: b.ID, Total: b.Total, Done: len(b.Results), Finished: b.Finished,
		Back: backToList(c), Summary: views.BulkSummary{Action: "Cancellation", Verb: "cancelled"}}
	for _, r := range b.Results {
		if r.Error == "" {
			v.Summary.Succeeded = append(v.Summary.Succeeded, r.Number)
		} else {
			v.Summary.Failed = append(v.Summary.Failed, views.BulkFailure{Number: cmp.Or(r.Number, r.ID), Reason: r.Error})
		}
	}
	return render(c, http.StatusOK, views.BulkProgressPage(s.page(c, "Cancel orders", "orders"), v))
}

// finishBulk keeps the summary of res for the list and goes back to it, which shows the
// orders' new state.
func (s *Server) finishBulk(c echo.Context, ids []string, sum views.BulkSummary, res service.BulkResult) error {
	numbers := s.orderNumbers(c.Request().Context(), ids)
	for _, id := range res.Succeeded {
		sum.Succeeded = append(sum.Succeeded, numberOf(numbers, id))
	}
	for _, f := range res.Failed {
		sum.Failed = append(sum.Failed, views.BulkFailure{Number: numberOf(numbers, f.ID), Reason: s.failureReason(c, f.Err)})
	}
	b, err := json.Marshal(sum)
	if err != nil {
		return err
	}
	s.sessions.Put(c.Request().Context(), bulkSummaryKey, b)
	return c.Redirect(http.StatusSeeOther, backToList(c))
}

// bulkRefused answers a bulk request refused as a whole (nothing selected, unknown
// status): a flash on the list it came from.
func (s *Server) bulkRefused(c echo.Context, err error) error {
	inputs := []string{"order_ids", "status", "note", "reason", "format", "tag"}
	fail, err := s.formErrors(c, err, inputs...)
	if err != nil {
		return err
	}
	var parts []string
	for _, k := range inputs {
		if m := fail.Errors[k]; m != "" && k == "order_ids" {
			parts = append(parts, m)
		} else if m != "" {
			parts = append(parts, k+" "+m)
		}
	}
	if len(parts) > 0 {
		s.flashError(c, "Nothing was changed: "+strings.Join(parts, "; ")+".")
	} else {
		s.flashError(c, "Nothing was changed: "+fail.Message+".")
	}
	return c.Redirect(http.StatusSeeOther, backToList(c))
}

// failureReason is why one order of a bulk action failed, in plain words.
func (s *Server) failureReason(c echo.Context, err error) string {
	de := s.toDomainError(c, err)
	switch de.Code {
	case domain.CodeNotFound:
		return "no such order"
	case domain.CodeInternal:
		return "an internal error (logged as request " + requestID(c) + ")"
	}
	return de.Message
}

// orderNumbers maps the selected ids to order numbers for the summary.
func (s *Server) orderNumbers(ctx context.Context, ids []string) map[string]string {
	out := map[string]string{}
	valid := validUUIDs(ids)
	for len(valid) > 0 {
		n := min(len(valid), domain.MaxPageSize)
		page, err := s.svc.ListOrders(ctx, domain.OrderFilter{IDs: valid[:n], Limit: domain.MaxPageSize}, service.RowsOnly)
		if err != nil {
			break
		}
		for _, o := range page.Orders {
			out[o.ID] = o.Number
		}
		valid = valid[n:]
	}
	return out
}

func numberOf(numbers map[string]string, id string) string {
	if n, ok := numbers[id]; ok {
		return n
	}
	return id
}

func validUUIDs(ids []string) []string {
	var out []string
	for _, id := range ids {
		if _, err := uuid.Parse(id); err == nil {
			out = append(out, id)
		}
	}
	return out
}

func uniqueStrings(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
