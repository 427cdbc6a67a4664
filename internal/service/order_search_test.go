package service_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// The name search's two halves split text alike: the database, which keeps each order's
// search words, and domain.SplitSearchWords, which splits what staff type.
func TestSearchWordsSplitAsTheDatabaseDoes(t *testing.T) {
	t.Parallel()
	e := newOpsEnv(t)
	for _, s := range []string{"Ann Lee", "  o'Connor-Smith ", "A B Cd", "Müller, Jürgen", "Li\tWu", "x.y_z+w",
		"ann ANN Ann", "Customer 99", "email@like.text", "(555) 010-0100", "日本 語"} {
		var db []string
		if err := e.pool.QueryRow(e.ctx, `SELECT oms_search_words($1, '')`, s).Scan(&db); err != nil {
			t.Fatal(err)
		}
		var got []string
		if err := e.pool.QueryRow(e.ctx, `SELECT coalesce(array_agg(DISTINCT lower(w) ORDER BY lower(w)), '{}') FROM unnest($1::text[]) w`,
			domain.SplitSearchWords(s)).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(db, got) {
			t.Errorf("%q: the database has %q, SplitSearchWords %q", s, db, got)
		}
	}
}

// Every kind of q finds exactly the orders whose customer it names, on every page, with
// an exact total: name words as starts of words (several words all of them; an order
// found through two of its words once), order numbers, emails and phones by their
// indexes, and a word so common that its words are too many to list.
func TestListSearchFindsWhatEachKindOfQNames(t *testing.T) {
	t.Parallel()
	e := newOpsEnv(t)
	e.stock("A", "10.00", 10_000)
	type cust struct{ name, email, phone string }
	custs := []cust{
		{"Ann Lee", "ann.lee1@shop.example", "+1 415 555 0101"},
		{"Annabel Lee", "annabel7@mail.example", "+1 415 555 0102"},
		{"Ann Annabel", "aa@mail.example", ""},
		{"Li Wu", "li.wu@shop.example", "+86 10 5550 0103"},
		{"Bob O'Connor", "bob@oc.example", "+353 1 555 0104"},
		{"Carla Müller", "carla.mueller@shop.example", "+49 30 5550 1234"},
	}
	// Enough distinct words starting "zz" that the word is read as too broad to list.
	for i := range 30 {
		custs = append(custs, cust{fmt.Sprintf("Zz%c%c Filler", 'a'+i/26, 'a'+i%26), fmt.Sprintf("f%d@zz.example", i), ""})
	}
	var numbers []string
	for _, c := range custs {
		for range 3 {
			in := domain.NewOrder{Customer: domain.Customer{Email: c.email, Name: c.name, Phone: c.phone},
				ShippingAddress: domain.Address{FirstName: "X", LastName: "Y", Address1: "1 Main St", City: "Town", Country: "US"},
				Items:           []domain.ItemRequest{{SKU: "A", Quantity: 1}}}
			o, _, err := e.svc.CreateOrder(e.ctx, opsStaff, in, nil)
			if err != nil {
				t.Fatal(err)
			}
			numbers = append(numbers, o.Number)
		}
	}
	// What each q must find, by the rule written out: every word of q starts a word of
	// the order's name or email (the database's words), or the q names its number,
	// email or phone.
	want := func(where string, args ...any) []string {
		rows, err := e.pool.Query(e.ctx, "SELECT order_number FROM orders WHERE "+where+" ORDER BY created_at DESC, id DESC", args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var n string
			_ = rows.Scan(&n)
			out = append(out, n)
		}
		return out
	}
	words := func(ws ...string) []string {
		var conds []string
		var args []any
		for i, w := range ws {
			conds = append(conds, fmt.Sprintf("EXISTS (SELECT 1 FROM unnest(oms_search_words(customer_name, customer_email)) x WHERE x LIKE $%d || '%%')", i+1))
			args = append(args, strings.ToLower(w))
		}
		return want(strings.Join(conds, " AND "), args...)
	}
	cases := []struct {
		q    string
		want []string
	}{
		{"ann", words("ann")},
		{"Ann Lee", words("ann", "lee")},
		{"annabel", words("annabel")},
		{"wu", words("wu")},
		{"connor", words("connor")},
		{"müller", words("müller")},
		{"shop", words("shop")},
		{"zz", words("zz")},
		{"zz filler", words("zz", "filler")},
		{"nobody", nil},
		{numbers[4], []string{numbers[4]}},
		{numbers[4][:11], want("order_number LIKE $1 || '%'", numbers[4][:11])},
		{"ANN.LEE1@shop.example", want("customer_email = 'ann.lee1@shop.example'")},
		{"annabel7@", want("customer_email LIKE 'annabel7@%'")},
		{"555 0102", want("customer_phone = '+1 415 555 0102'")},
		{"1234", want("customer_phone LIKE '%1234'")},
	}
	for _, c := range cases {
		if len(c.want) == 0 && c.q != "nobody" {
			t.Fatalf("%q: the test data has no match", c.q)
		}
		var got []string
		f := domain.OrderFilter{Q: c.q, Limit: 2}
		for pages := 0; ; pages++ {
			page, err := e.svc.ListOrders(e.ctx, f, service.RowsOnly)
			if err != nil {
				t.Fatalf("%q: %v", c.q, err)
			}
			if page.Total != int64(len(c.want)) || !page.TotalExact {
				t.Errorf("%q: total %d (exact %v), want %d", c.q, page.Total, page.TotalExact, len(c.want))
			}
			for _, o := range page.Orders {
				got = append(got, o.Number)
			}
			if page.NextCursor == "" || pages > 100 {
				break
			}
			f.Cursor = page.NextCursor
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: found %q, want %q", c.q, got, c.want)
		}
	}
}
