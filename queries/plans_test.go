package queries_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/oms/oms/internal/demo"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/testdb"
	"github.com/oms/oms/queries"
)

// Every hot statement, planned as the product runs it (generic plans forced for the key
// lookups, custom plans for the lists, either for the order read), reads each table by
// the index meant for it: on a database whose tables have no statistics yet (a bulk
// load, a restore, autovacuum off or late) and again once they are analyzed. The
// catalog's 10,000 SKUs share a prefix (PERF-00001 ...), so that a trigram index could
// answer a lookup by SKU and would read the whole catalog to do it (issue 21).
func TestHotQueriesReadTheirIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	testdb.WithoutAutovacuum(t, pool)
	svc := service.New(pool, service.Config{ReservationTTL: 30 * time.Minute})
	if err := demo.LoadShop(ctx, svc, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadOrders(ctx, pool, demo.Options{Orders: 5000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO products (sku, name, price, currency)
			SELECT 'PERF-' || lpad(g::text, 5, '0'), 'Perf product ' || g, 10, 'USD' FROM generate_series(1, 10000) g;
		INSERT INTO inventory (sku, on_hand) SELECT sku, 1000 FROM products WHERE sku LIKE 'PERF-%';
		INSERT INTO rate_limits (key, tat) SELECT 'track:10.0.' || g / 256 || '.' || g % 256, now() FROM generate_series(1, 20000) g`); err != nil {
		t.Fatal(err)
	}
	// A page of orders with every kind of child: lines, payments, refunds, shipments
	// with their lines and tracking events, returns with their lines, history.
	rows, err := pool.Query(ctx, `SELECT id FROM orders WHERE status IN ('delivered', 'returned', 'refunded')
		ORDER BY created_at DESC LIMIT 50`)
	if err != nil {
		t.Fatal(err)
	}
	page, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil || len(page) < 50 {
		t.Fatalf("sample page: %d orders, %v", len(page), err)
	}

	children := map[string]string{
		"order_items":        "order_items_order_id_position_key",
		"payments":           "payments_order_idx",
		"refunds":            "refunds_order_idx",
		"fulfillments":       "fulfillments_order_idx",
		"fulfillment_items":  "fulfillment_items_pkey",
		"fulfillment_events": "fulfillment_events_fulfillment_idx",
		"returns":            "returns_order_idx",
		"return_items":       "return_items_pkey",
		"order_history":      "order_history_pkey",
	}
	monthAgo, twoMonthsAgo := time.Now().AddDate(0, -1, 0), time.Now().AddDate(0, -2, 0)
	now, soon, notHeld := time.Now(), time.Now().Add(4*time.Hour), false
	list := func(s queries.OrderSearch) func(*queries.Queries) {
		s.Descending, s.Limit = !s.Descending, 51 // newest first unless said otherwise
		return func(q *queries.Queries) { _, _ = q.SearchOrders(ctx, s) }
	}
	generic, custom := []string{"force_generic_plan"}, []string{"force_custom_plan"}
	cases := []struct {
		name  string
		modes []string // how the product plans it
		run   func(*queries.Queries)
		want  map[string]string // table: the only index it may be read by
	}{
		{"pricing", generic, func(q *queries.Queries) {
			_, _ = q.PricingContext(ctx, queries.PricingContextParams{Country: "US", Region: "CA", Skus: []string{"PERF-00042", "PERF-07777"}})
		}, map[string]string{"products": "products_pkey", "inventory": "inventory_pkey"}},
		{"coupon", generic, func(q *queries.Queries) { _, _ = q.GetCouponByCode(ctx, "WELCOME10") }, nil},
		{"order creation and its reservations", generic, func(q *queries.Queries) { _, _ = q.CreateOrders(ctx, newOrders()) },
			map[string]string{"inventory": "inventory_pkey"}},
		{"order read by id", append(generic, custom...), func(q *queries.Queries) { _, _ = q.GetOrderByID(ctx, page[0]) },
			map[string]string{"orders": "orders_pkey"}},
		{"order read by number", append(generic, custom...), func(q *queries.Queries) { _, _ = q.GetOrderByNumber(ctx, "ORD-1") },
			map[string]string{"orders": "orders_order_number_key"}},
		{"tracking lookup by number and email", append(generic, custom...), func(q *queries.Queries) {
			_, _ = q.FindOrderForCustomer(ctx, queries.FindOrderForCustomerParams{OrderNumber: "ORD-1", Email: "ann@example.com"})
		}, map[string]string{"orders": "orders_order_number_key"}},
		{"tracking rate limit", append(generic, custom...), func(q *queries.Queries) {
			_, _ = q.TakeRateLimit(ctx, queries.TakeRateLimitParams{Key: "track:10.0.1.1", SpanSeconds: 2, IntervalSeconds: 0.1})
		}, map[string]string{"rate_limits": "rate_limits_pkey"}},
		{"order version", append(generic, custom...), func(q *queries.Queries) { _, _ = q.BumpOrderVersion(ctx, page[0]) },
			map[string]string{"orders": "orders_pkey"}},
		{"children of a page", generic, func(q *queries.Queries) { _, _ = q.OrderDetails(ctx, page) }, children},
		{"lines of a page", generic, func(q *queries.Queries) { _, _ = q.ListItemsForOrders(ctx, page) },
			map[string]string{"order_items": children["order_items"]}},
		{"list, newest first", custom, list(queries.OrderSearch{}), map[string]string{"orders": "orders_created_idx"}},
		{"list by status", custom, list(queries.OrderSearch{MergeStates: true,
			States: []queries.OrderState{{Status: "shipped", PaymentStatus: "completed", FulfillmentStatus: "fulfilled"}}}),
			map[string]string{"orders": "orders_state_created_idx"}},
		{"list by statuses, merged", custom, list(queries.OrderSearch{MergeStates: true, States: []queries.OrderState{
			{Status: "delivered", PaymentStatus: "completed", FulfillmentStatus: "fulfilled"},
			{Status: "delivered", PaymentStatus: "partially_refunded", FulfillmentStatus: "fulfilled"}}}),
			map[string]string{"orders": "orders_state_created_idx|orders_created_idx"}},
		{"list by total", custom, list(queries.OrderSearch{SortByTotal: true}), map[string]string{"orders": "orders_total_idx"}},
		{"list of a date range", custom, list(queries.OrderSearch{CreatedFrom: &twoMonthsAgo, CreatedTo: &monthAgo}),
			map[string]string{"orders": "orders_created_idx|orders_pkey"}},
		{"list by tag", custom, list(queries.OrderSearch{Tag: "vip"}),
			map[string]string{"order_tags": "order_tags_pkey", "orders": "orders_pkey"}},
		{"list by tag and status", custom, list(queries.OrderSearch{Tag: "vip", MergeStates: true,
			States: []queries.OrderState{{Status: "paid", PaymentStatus: "completed", FulfillmentStatus: "unfulfilled"}}}),
			map[string]string{"order_tags": "order_tags_pkey|order_tags_order_idx", "orders": "orders_pkey|orders_state_created_idx"}},
		// Issue 28: the deadlines' lists read the few orders waiting to ship from their
		// own index; a payment reads its shipping rate's hours by the order's key; the
		// activity log reads each source by keyset on its own index.
		{"list of late orders", custom, list(queries.OrderSearch{ShipByBefore: &now}), map[string]string{"orders": "orders_ship_by_idx"}},
		{"count of late orders", custom, func(q *queries.Queries) {
			_, _, _ = q.CountOrders(ctx, queries.OrderSearch{ShipByBefore: &now, Held: &notHeld}, 10000)
		}, map[string]string{"orders": "orders_ship_by_idx"}},
		{"list at risk, by deadline", custom, list(queries.OrderSearch{SortByShipBy: true, ShipByFrom: &now, ShipByBefore: &soon, Descending: true}),
			map[string]string{"orders": "orders_ship_by_idx"}},
		{"warehouse queue, by deadline", custom, list(queries.OrderSearch{SortByShipBy: true, Held: &notHeld, Limit: 50,
			States: []queries.OrderState{{Status: "paid", PaymentStatus: "completed", FulfillmentStatus: "unfulfilled"},
				{Status: "processing", PaymentStatus: "completed", FulfillmentStatus: "partially_fulfilled"}}}),
			map[string]string{"orders": "orders_ship_by_idx|orders_state_created_idx"}},
		{"deadline hours of an order's shipping rate", generic, func(q *queries.Queries) { _, _ = q.RateShipWithin(ctx, page[0]) },
			map[string]string{"orders": "orders_pkey"}},
		{"activity, newest first", custom, func(q *queries.Queries) { _, _ = q.SearchActivity(ctx, queries.ActivitySearch{Limit: 51}) },
			map[string]string{"order_history": "order_history_created_idx", "orders": "orders_pkey"}},
		{"activity of an actor", custom, func(q *queries.Queries) {
			_, _ = q.SearchActivity(ctx, queries.ActivitySearch{Actor: "system", Limit: 51})
		}, map[string]string{"order_history": "order_history_actor_idx", "orders": "orders_pkey"}},
	}

	// A table of a few pages is rightly read whole, by any plan: the test's data is big
	// enough for the tables that matter not to be.
	rows, err = pool.Query(ctx, `SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace
		AND relkind = 'r' AND pg_relation_size(oid) < $1 * current_setting('block_size')::int`, smallPages)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	small := map[string]bool{}
	for _, name := range names {
		small[name] = true
	}
	loaded := []string{"products", "inventory", "orders", "order_items", "payments", "fulfillments",
		"fulfillment_items", "fulfillment_events", "order_history", "rate_limits"}
	for _, table := range loaded {
		if small[table] {
			t.Fatalf("%s has fewer than %d pages: too small for its plans to say anything", table, smallPages)
		}
	}

	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, stats := range []string{"without statistics", "with statistics"} {
		if stats == "with statistics" {
			if err := queries.Analyze(ctx, pool, false); err != nil {
				t.Fatal(err)
			}
		} else {
			// (The migrations analyzed what they wrote, and loading wrote the rest.)
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stats WHERE schemaname = current_schema()
				AND tablename = ANY($1)`, loaded).Scan(&n); err != nil || n != 0 {
				t.Fatalf("%d columns of the loaded tables with statistics before ANALYZE (%v)", n, err)
			}
		}
		for _, c := range cases {
			rec := &recorder{}
			c.run(queries.New(rec))
			if len(rec.statements) == 0 {
				t.Fatalf("%s: no statement", c.name)
			}
			for _, mode := range c.modes {
				read := map[string]bool{}
				for _, st := range rec.statements {
					plan, err := explain(ctx, conn.Conn(), mode, st)
					if err != nil {
						t.Fatalf("%s: %v\n%s", c.name, err, st.sql)
					}
					for _, problem := range checkPlan(plan, c.want, small, read) {
						t.Errorf("%s, %s, %s: %s (%s)", c.name, stats, mode, problem, firstLine(st.sql))
					}
				}
				for _, table := range slices.Sorted(maps.Keys(c.want)) {
					if !read[table] {
						t.Errorf("%s, %s, %s: does not read %s", c.name, stats, mode, table)
					}
				}
			}
		}
	}
}

// newOrders is one order of two lines, as service.CreateOrder writes it.
func newOrders() queries.CreateOrdersParams {
	order, line := uuid.New(), uuid.New()
	ten := decimal.NewFromInt(10)
	return queries.CreateOrdersParams{Ids: []uuid.UUID{order}, Currencies: []string{"USD"},
		Subtotals: []decimal.Decimal{ten}, Discounts: []decimal.Decimal{decimal.Zero}, Shippings: []decimal.Decimal{decimal.Zero},
		Taxes: []decimal.Decimal{decimal.Zero}, Totals: []decimal.Decimal{ten}, CustomerEmails: []string{"ann@example.com"},
		CustomerNames: []string{"Ann Lee"}, CustomerPhones: []string{""}, ShippingAddresses: [][]byte{[]byte(`{}`)},
		BillingAddresses: [][]byte{[]byte(`{}`)}, Notes: []string{""}, Sources: []string{"api"}, CouponCodes: []string{""},
		CouponIds: []uuid.UUID{uuid.Nil}, ItemCounts: []int32{2}, LineSummaries: []string{"2 x PERF-00042"},
		ManualDiscounts: []decimal.Decimal{decimal.Zero}, ManualDiscountReasons: []string{""},
		ItemIds: []uuid.UUID{line}, ItemOrderIds: []uuid.UUID{order}, Positions: []int32{1}, Skus: []string{"PERF-00042"},
		Names: []string{"Perf product 42"}, Quantities: []int32{2}, UnitPrices: []decimal.Decimal{decimal.NewFromInt(5)},
		LineTotals: []decimal.Decimal{ten}, ReservationIds: []uuid.UUID{uuid.New()}, HistoryNotes: []string{""},
		Actors: []string{"test"}, ActorTypes: []string{"token"}, UsedCouponIds: []uuid.UUID{}, UsedCouponCounts: []int32{},
		IdempotencyScopes: []string{}, IdempotencyKeys: []string{}, RequestHashes: [][]byte{},
		ReserveSkus: []string{"PERF-00042"}, ReserveQuantities: []int32{2}}
}

// statement is one SQL statement a query method sent, with its arguments.
type statement struct {
	sql  string
	args []any
}

// recorder is a DBTX (and Batcher) that records what it is sent and answers no rows.
type recorder struct{ statements []statement }

func (r *recorder) record(sql string, args []any) {
	if !strings.HasPrefix(sql, "SET ") && !strings.HasPrefix(sql, "RESET ") { // a batch's plan mode
		r.statements = append(r.statements, statement{sql, args})
	}
}

func (r *recorder) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	r.record(sql, args)
	return pgconn.CommandTag{}, nil
}

func (r *recorder) Query(_ context.Context, sql string, args ...any) (pgx.Rows, error) {
	r.record(sql, args)
	return noRows{}, nil
}

func (r *recorder) QueryRow(_ context.Context, sql string, args ...any) pgx.Row {
	r.record(sql, args)
	return noRows{}
}

func (r *recorder) SendBatch(_ context.Context, b *pgx.Batch) pgx.BatchResults {
	for _, q := range b.QueuedQueries {
		r.record(q.SQL, q.Arguments)
	}
	return noResults{}
}

// noRows is an empty result (the interface's other methods are never called).
type noRows struct{ pgx.Rows }

func (noRows) Next() bool        { return false }
func (noRows) Err() error        { return nil }
func (noRows) Close()            {}
func (noRows) Scan(...any) error { return pgx.ErrNoRows }

type noResults struct{ pgx.BatchResults }

func (noResults) Close() error { return nil }

// explain prepares st as the product's connection would and returns the plan that
// PostgreSQL chooses for it in mode (a plan_cache_mode), as EXPLAIN (FORMAT JSON) says.
func explain(ctx context.Context, conn *pgx.Conn, mode string, st statement) (map[string]any, error) {
	if _, err := conn.Exec(ctx, "SET plan_cache_mode = "+mode); err != nil {
		return nil, err
	}
	defer conn.Exec(ctx, "RESET plan_cache_mode") //nolint:errcheck // the next explain sets it again
	if _, err := conn.Exec(ctx, "PREPARE hot AS "+st.sql); err != nil {
		return nil, err
	}
	defer conn.Exec(ctx, "DEALLOCATE hot") //nolint:errcheck // a failure ends the test
	// EXECUTE takes its arguments as SQL, each in the text form of its parameter's type.
	var types []uint32
	if err := conn.QueryRow(ctx, "SELECT parameter_types::oid[] FROM pg_prepared_statements WHERE name = 'hot'").Scan(&types); err != nil {
		return nil, err
	}
	args := ""
	for i, a := range st.args {
		text, err := conn.TypeMap().Encode(types[i], pgtype.TextFormatCode, a, nil)
		if err != nil {
			return nil, fmt.Errorf("argument %d: %w", i+1, err)
		}
		lit := "NULL"
		if text != nil {
			lit = "'" + strings.ReplaceAll(string(text), "'", "''") + "'"
		}
		args += map[bool]string{true: "(", false: ", "}[i == 0] + lit
	}
	if args != "" {
		args += ")"
	}
	var out []struct {
		Plan map[string]any `json:"Plan"`
	}
	var raw []byte
	if err := conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) EXECUTE hot"+args).Scan(&raw); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &out); err != nil || len(out) != 1 {
		return nil, fmt.Errorf("plan %s: %v", raw, err)
	}
	return out[0].Plan, nil
}

// smallPages is the size (in pages) below which a table is read whole by any plan.
const smallPages = 64

// checkPlan says what in plan goes against want (table: its index, or indexes joined by
// |): a table of want read by another index, or read whole unless it is small. It marks
// the tables the plan reads in read.
func checkPlan(plan map[string]any, want map[string]string, small, read map[string]bool) []string {
	var problems []string
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		table, _ := n["Relation Name"].(string)
		var how []string
		switch kind := n["Node Type"].(string); {
		case table == "" || kind == "ModifyTable":
		case n["Index Name"] != nil:
			how = []string{n["Index Name"].(string)}
		case kind == "Bitmap Heap Scan":
			how = bitmapIndexes(n)
		default:
			how = []string{kind}
		}
		for _, h := range how {
			read[table] = true
			switch w, ok := want[table]; {
			case h == "Seq Scan" && small[table]:
			case h == "Seq Scan":
				problems = append(problems, "reads "+table+" whole (Seq Scan)")
			case ok && !slices.Contains(strings.Split(w, "|"), h):
				problems = append(problems, fmt.Sprintf("reads %s by %s, want %s", table, h, w))
			}
		}
		children, _ := n["Plans"].([]any)
		for _, child := range children {
			walk(child.(map[string]any))
		}
	}
	walk(plan)
	return problems
}

// bitmapIndexes are the indexes whose bitmaps a Bitmap Heap Scan reads (and not those
// of the InitPlans below it).
func bitmapIndexes(n map[string]any) []string {
	var out []string
	children, _ := n["Plans"].([]any)
	for _, c := range children {
		switch child := c.(map[string]any); child["Node Type"] {
		case "Bitmap Index Scan":
			out = append(out, child["Index Name"].(string))
		case "BitmapAnd", "BitmapOr":
			out = append(out, bitmapIndexes(child)...)
		}
	}
	return out
}

func firstLine(sql string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(sql), "\n")
	return line
}
