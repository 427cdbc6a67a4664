package web

// The order page's tags and hold forms, and the list's bulk tagging.

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/views"
)

// editTags is POST /orders/{number}/tags: tag adds the comma-separated tags typed,
// remove (the chip's button) takes one off.
func (s *Server) editTags(c echo.Context) error {
	typed := c.FormValue("tag")
	var add, remove []string
	for _, t := range strings.Split(typed, ",") {
		if strings.TrimSpace(t) != "" {
			add = append(add, t)
		}
	}
	if r := c.FormValue("remove"); r != "" {
		remove = []string{r}
	}
	_, err := s.svc.EditTags(c.Request().Context(), actorOf(c), c.Param("number"), add, remove)
	if err == nil {
		return s.seeOther(c, "/orders/"+c.Param("number")+"#tags")
	}
	fail, err := s.formErrors(c, err, "tag")
	if err != nil {
		return err
	}
	return s.renderOrderDetail(c, c.Param("number"), fail.Status, func(d *views.OrderDetail) {
		d.Tags = views.Form{Values: map[string]string{"tag": typed}, Errors: fail.Errors}
		if d.Tags.Errors["tag"] == "" {
			d.Tags.Errors["tag"] = fail.Errors[""]
		}
	})
}

// holdOrder is POST /orders/{number}/hold.
func (s *Server) holdOrder(c echo.Context) error {
	reason := strings.TrimSpace(c.FormValue("reason"))
	_, err := s.svc.Hold(c.Request().Context(), actorOf(c), c.Param("number"), reason)
	return s.afterHold(c, err, "put on hold", reason)
}

// releaseOrder is POST /orders/{number}/release.
func (s *Server) releaseOrder(c echo.Context) error {
	_, err := s.svc.Release(c.Request().Context(), actorOf(c), c.Param("number"))
	return s.afterHold(c, err, "released", "")
}

func (s *Server) afterHold(c echo.Context, err error, done, reason string) error {
	if err == nil {
		s.flashSuccess(c, c.Param("number")+" "+done+".")
		return s.seeOther(c, "/orders/"+c.Param("number"))
	}
	fail, err := s.formErrors(c, err, "reason")
	if err != nil {
		return err
	}
	return s.renderOrderDetail(c, c.Param("number"), fail.Status, func(d *views.OrderDetail) {
		d.Hold = views.Form{Values: map[string]string{"reason": reason}, Errors: fail.Errors}
	})
}

// bulkTag adds a tag to the selected orders (or, with action=remove, takes it off), each
// on its own, like bulkStatus.
func (s *Server) bulkTag(c echo.Context) error {
	ids := formIDs(c)
	tag := c.FormValue("tag")
	remove := c.FormValue("action") == "remove"
	res, err := s.svc.BulkTag(c.Request().Context(), actorOf(c), ids, tag, remove)
	if err != nil {
		return s.bulkRefused(c, err)
	}
	norm, _ := domain.NormalizeTags([]string{tag}) // BulkTag refused what is not a tag
	sum := views.BulkSummary{Action: "Tag " + strings.Join(norm, "") + " added", Verb: "tagged"}
	if remove {
		sum = views.BulkSummary{Action: "Tag " + strings.Join(norm, "") + " removed", Verb: "untagged"}
	}
	return s.finishBulk(c, ids, sum, res)
}
