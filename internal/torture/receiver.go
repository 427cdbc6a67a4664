package torture

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/oms/oms/internal/webhook"
)

// receiver is an integration's webhook endpoint: it verifies each delivery's Standard
// Webhooks signature and keeps each message once by its webhook-id, as a receiver that
// deduplicates does, noting repeats and the order messages first came in.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	got    map[string]hook // by webhook-id
	order  []string        // webhook-ids in the order they first arrived
	repeat int
	bad    []string // deliveries that did not verify
}

// hook is one message as first received.
type hook struct {
	Type    string
	OrderID string
}

func newReceiver() *receiver {
	r := &receiver{got: map[string]hook{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := webhook.Verify(r.secret, req.Header, body, time.Now(), 5*time.Minute); err != nil {
		r.bad = append(r.bad, fmt.Sprintf("%s: %v", req.Header.Get("webhook-id"), err))
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	id := req.Header.Get("webhook-id")
	if _, seen := r.got[id]; seen {
		r.repeat++
		return
	}
	var msg struct {
		Type string `json:"type"`
		Data struct {
			Order struct {
				ID string `json:"id"`
			} `json:"order"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &msg)
	r.got[id] = hook{Type: msg.Type, OrderID: msg.Data.Order.ID}
	r.order = append(r.order, id)
}

// snapshot is what the receiver has kept.
func (r *receiver) snapshot() (got map[string]hook, order []string, repeats int, bad []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	got = make(map[string]hook, len(r.got))
	for k, v := range r.got {
		got[k] = v
	}
	return got, append([]string(nil), r.order...), r.repeat, append([]string(nil), r.bad...)
}
