package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
)

type bulkStatusRequest struct {
	OrderIDs []string `json:"order_ids"`
	Status   string   `json:"status"`
	Note     string   `json:"note"`
}

type bulkFailureJSON struct {
	ID    string      `json:"id"`
	Error errorDetail `json:"error"`
}

type bulkResultJSON struct {
	Succeeded []string          `json:"succeeded"`
	Failed    []bulkFailureJSON `json:"failed"`
}

// apiBulkStatus moves many orders to one status, each on its own: the answer lists which
// succeeded and why the others failed.
func (s *Server) apiBulkStatus(c echo.Context) error {
	var req bulkStatusRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	res, err := s.svc.BulkTransition(c.Request().Context(), actorOf(c), req.OrderIDs, domain.Status(req.Status), req.Note)
	if err != nil {
		return err
	}
	out := bulkResultJSON{Succeeded: res.Succeeded, Failed: make([]bulkFailureJSON, len(res.Failed))}
	for i, f := range res.Failed {
		de := s.toDomainError(c, f.Err)
		out.Failed[i] = bulkFailureJSON{ID: f.ID, Error: errorDetail{Code: de.Code, Message: de.Message, Fields: de.Fields}}
	}
	return c.JSON(http.StatusOK, out)
}
