package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
)

// Live updates of the order detail page. Services announce every committed change of an
// order on PostgreSQL (NOTIFY); one listener per process, on a connection of its own,
// fans each announcement out to the browsers watching that order through server-sent
// events, so a change made through any `oms serve` process reaches every open page.
//
// The listener starts with the first watcher and stops after liveIdleStop without one;
// Close stops it (serve calls it when shutting down, which also ends the streams).

const (
	liveHeartbeat = 20 * time.Second
	// liveStreamsPerUser is how many live streams one staff user may hold open (a tab
	// each); more is refused, so that one account cannot hold every connection.
	liveStreamsPerUser = 20
	liveIdleStop       = time.Minute
	// liveReadyWait is how long a new stream waits for the listener's LISTEN to be in
	// place before it answers, so that a change made after the page saw "ready" is never
	// missed; after that it answers anyway (the listener keeps trying to connect).
	liveReadyWait = 3 * time.Second
)

// liveHub tracks who watches which order and runs the listener while anyone does.
type liveHub struct {
	s *Server

	mu      sync.Mutex
	subs    map[string]map[*liveSub]struct{} // by order id
	nsubs   int
	running bool
	cancel  context.CancelFunc // stops the listener
	ready   chan struct{}      // closed once the listener's LISTEN is in place
	idle    *time.Timer        // stops the listener when nobody watches
	done    chan struct{}      // closed by Close: every stream ends
	closed  bool
	stopped sync.WaitGroup // the listener goroutine
	perUser map[string]int // open streams by staff user id
}

// liveSub is one open stream. Its buffer holds one pending "changed": more changes before
// the browser reads it are the same news, so a slow client costs one slot, never a queue.
type liveSub struct {
	orderID string
	ch      chan struct{}
}

func newLiveHub(s *Server) *liveHub {
	return &liveHub{s: s, subs: map[string]map[*liveSub]struct{}{}, done: make(chan struct{})}
}

// subscribe registers a watcher of orderID, starting the listener if needed, and returns
// it with a channel closed once the listener is ready.
func (h *liveHub) subscribe(orderID string) (*liveSub, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	sub := &liveSub{orderID: orderID, ch: make(chan struct{}, 1)}
	if h.closed {
		close(sub.ch)
		ready := make(chan struct{})
		close(ready)
		return sub, ready
	}
	if h.subs[orderID] == nil {
		h.subs[orderID] = map[*liveSub]struct{}{}
	}
	h.subs[orderID][sub] = struct{}{}
	h.nsubs++
	if h.idle != nil {
		h.idle.Stop()
		h.idle = nil
	}
	if !h.running {
		h.startLocked()
	}
	return sub, h.ready
}

func (h *liveHub) unsubscribe(sub *liveSub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[sub.orderID][sub]; !ok {
		return
	}
	delete(h.subs[sub.orderID], sub)
	if len(h.subs[sub.orderID]) == 0 {
		delete(h.subs, sub.orderID)
	}
	h.nsubs--
	if h.nsubs == 0 && h.running && !h.closed {
		h.idle = time.AfterFunc(liveIdleStop, h.stopIfIdle)
	}
}

func (h *liveHub) startLocked() {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	h.running, h.cancel, h.ready = true, cancel, ready
	first := true
	h.stopped.Add(1)
	go func() {
		defer h.stopped.Done()
		h.s.svc.ListenOrderChanges(ctx, h.s.log, func() {
			if first {
				first = false
				close(ready)
				return
			}
			// Announcements made while disconnected are lost: every page re-reads.
			h.broadcast()
		}, h.publish)
	}()
}

func (h *liveHub) stopIfIdle() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.nsubs == 0 && h.running {
		h.cancel()
		h.running = false
	}
}

// publish tells the watchers of orderID that it changed.
func (h *liveHub) publish(orderID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs[orderID] {
		notify(sub)
	}
}

// broadcast tells every watcher that its order may have changed.
func (h *liveHub) broadcast() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, subs := range h.subs {
		for sub := range subs {
			notify(sub)
		}
	}
}

func notify(sub *liveSub) {
	select {
	case sub.ch <- struct{}{}:
	default: // a change is already pending for this watcher
	}
}

// Close stops the listener and ends every open stream; the hub accepts no more watchers.
func (h *liveHub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	close(h.done)
	if h.idle != nil {
		h.idle.Stop()
	}
	if h.running {
		h.cancel()
		h.running = false
	}
	h.mu.Unlock()
	h.stopped.Wait()
}

// Close stops the live-update listener and ends the open event streams; call it when
// shutting down (http.Server.RegisterOnShutdown), since streams never finish by themselves.
func (s *Server) Close() { s.live.Close() }

// orderEvents is GET /orders/{number}/events: a text/event-stream that sends "changed"
// whenever the order changes, and a comment every liveHeartbeat so that proxies and the
// browser keep the connection open. It ends when the client goes away or on shutdown.
func (s *Server) orderEvents(c echo.Context) error {
	ctx := c.Request().Context()
	o, err := s.svc.GetOrder(ctx, c.Param("number"))
	if err != nil {
		return err
	}
	u, _ := staffOf(c)
	if !s.live.openStream(u.ID) {
		return domain.Errorf(domain.CodeRateLimited, "too many live pages open; close some tabs")
	}
	defer s.live.closeStream(u.ID)
	sub, ready := s.live.subscribe(o.ID)
	defer s.live.unsubscribe(sub)
	wait := time.NewTimer(liveReadyWait)
	select {
	case <-ready:
	case <-wait.C:
	case <-ctx.Done():
		wait.Stop()
		return nil
	}
	wait.Stop()

	return s.streamOrderEvents(c, sub, o.Number)
}

// streamOrderEvents writes the event stream: "ready" once, then "changed" for each change
// of the order and a heartbeat comment in between, until the client or the server goes.
func (s *Server) streamOrderEvents(c echo.Context, sub *liveSub, number string) error {
	w := c.Response()
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// retry: how long the browser waits before reconnecting; "ready" says LISTEN is on.
	if _, err := fmt.Fprintf(w, "retry: 2000\nevent: ready\ndata: %s\n\n", number); err != nil {
		return nil
	}
	w.Flush()
	beat := time.NewTicker(cmp.Or(s.cfg.LiveHeartbeat, liveHeartbeat))
	defer beat.Stop()
	for {
		var msg string
		select {
		case <-c.Request().Context().Done():
			return nil
		case <-s.live.done:
			return nil
		case _, ok := <-sub.ch:
			if !ok {
				return nil
			}
			msg = "event: changed\ndata: " + number + "\n\n"
		case <-beat.C:
			// The stream outlives the request's checks: see each time that its session
			// still holds (logged out, disabled, role changed: the stream ends).
			if !s.sessionHolds(c) {
				return nil
			}
			msg = ": heartbeat\n\n"
		}
		if _, err := w.Write([]byte(msg)); err != nil {
			return nil
		}
		w.Flush()
	}
}

// openStream counts a live stream of user id, refusing one past liveStreamsPerUser.
func (h *liveHub) openStream(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perUser == nil {
		h.perUser = map[string]int{}
	}
	if h.perUser[id] >= liveStreamsPerUser {
		return false
	}
	h.perUser[id]++
	return true
}

func (h *liveHub) closeStream(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perUser[id]--; h.perUser[id] <= 0 {
		delete(h.perUser, id)
	}
}

// sessionHolds checks again what requireStaff checked when the stream opened: the session
// still exists (no logout), and its user is enabled, with the same session version and a
// role that may view orders.
func (s *Server) sessionHolds(c echo.Context) bool {
	ctx := context.WithoutCancel(c.Request().Context())
	if _, found, err := s.sessions.Store.Find(s.sessions.Token(ctx)); err != nil || !found {
		return false
	}
	u, err := s.svc.GetStaffUser(ctx, s.sessions.GetString(ctx, sessionUserKey))
	return err == nil && !u.Disabled && u.SessionVersion == s.sessions.GetInt(ctx, sessionVersionKey) &&
		u.Role.Can(domain.PermViewOrders)
}
