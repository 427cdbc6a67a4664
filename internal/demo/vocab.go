// Package demo makes demo data: the words the demo orders are made of (shared with the
// small demo of demo.LoadShop), and LoadOrders, which adds any number of realistic
// orders fast enough to try the product at a real shop's size (`oms demo --orders N`).
package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Customers' names: 60 x 60, so that a name search finds a realistic share of a shop.
var (
	FirstNames = []string{"Ava", "Liam", "Sofia", "Noah", "Maya", "Ethan", "Chloe", "Lucas", "Priya", "Mateo",
		"Hannah", "Omar", "Grace", "Daniel", "Zoe", "Kenji", "Isabel", "Samuel", "Leah", "Marcus", "Elena", "Jonas",
		"Amara", "Felix", "Nora", "Diego", "Harper", "Arjun", "Claire", "Tobias", "Yuki", "Fatima", "Oliver", "Ines",
		"Mohammed", "Freya", "Rafael", "Aisha", "Henrik", "Lucia", "Kwame", "Sara", "Ivan", "Mei", "Pedro", "Anika",
		"Luca", "Hana", "Tomás", "Wei", "Esther", "Malik", "Astrid", "Jamal", "Nadia", "Emil", "Rosa", "Tariq",
		"Ingrid", "Li"}
	LastNames = []string{"Nguyen", "Carter", "Rossi", "Schmidt", "Okafor", "Patel", "Johnson", "Kim", "Garcia",
		"Müller", "Thompson", "Dubois", "Walsh", "Haddad", "Lindqvist", "Brown", "Tanaka", "O'Connor", "Silva",
		"Fischer", "Evans", "Moreau", "Cohen", "Reyes", "Novak", "Wu", "Andersen", "Kowalski", "Mensah", "Sato",
		"Hernández", "Bauer", "Ali", "Costa", "Ivanova", "Murphy", "Yilmaz", "Chen", "Larsen", "Mendoza", "Dimitrov",
		"Nakamura", "Hughes", "Ferrari", "Osei", "Santos", "Weber", "Park", "Kaur", "Lopez", "Jensen", "Horvat",
		"Abadi", "Byrne", "Fontaine", "Gruber", "Ito", "Keller", "Mwangi", "Zhang"}
	EmailDomains = []string{"example.com", "example.net", "example.org"}
)

// Place is a street address and the start of the phone numbers there.
type Place struct {
	Street, City, Region, Postal, PhonePrefix string
}

// Countries weights destinations by repeating them; Places are addresses by country.
var (
	Countries = []string{"US", "US", "US", "US", "US", "US", "US", "US", "US", "US", "US", "US",
		"GB", "GB", "DE", "DE", "CA", "CA", "FR", "NL", "AU"}
	Places = map[string][]Place{
		"US": {{"1420 Market St", "San Francisco", "CA", "94103", "+1 415 555 "}, {"88 Greenwich Ave", "New York", "NY", "10011", "+1 212 555 "},
			{"233 S Wacker Dr", "Chicago", "IL", "60606", "+1 312 555 "}, {"500 Congress Ave", "Austin", "TX", "78701", "+1 512 555 "},
			{"1201 3rd Ave", "Seattle", "WA", "98101", "+1 206 555 "}, {"75 State St", "Boston", "MA", "02109", "+1 617 555 "},
			{"455 Valencia St", "San Francisco", "CA", "94103", "+1 415 555 "}, {"20 W 34th St", "New York", "NY", "10001", "+1 646 555 "},
			{"910 Pearl St", "Boulder", "CO", "80302", "+1 303 555 "}, {"3100 N Lake Shore Dr", "Chicago", "IL", "60657", "+1 773 555 "}},
		"GB": {{"221B Baker Street", "London", "", "NW1 6XE", "+44 20 7946 "}, {"14 Deansgate", "Manchester", "", "M3 2BY", "+44 161 496 "},
			{"7 Royal Mile", "Edinburgh", "", "EH1 1RE", "+44 131 496 "}},
		"DE": {{"Torstraße 112", "Berlin", "", "10119", "+49 30 5550 "}, {"Maximilianstraße 8", "München", "", "80539", "+49 89 5550 "},
			{"Schanzenstraße 41", "Hamburg", "", "20357", "+49 40 5550 "}},
		"CA": {{"155 Queen St W", "Toronto", "ON", "M5H 2N2", "+1 416 555 "}, {"1055 W Georgia St", "Vancouver", "BC", "V6E 3P3", "+1 604 555 "}},
		"FR": {{"12 Rue de Rivoli", "Paris", "", "75004", "+33 1 5550 "}},
		"NL": {{"Prinsengracht 263", "Amsterdam", "", "1016 GV", "+31 20 555 "}},
		"AU": {{"200 George St", "Sydney", "NSW", "2000", "+61 2 5550 "}},
	}
)

// What staff, carriers and customers say in the demo's history.
var (
	Staff           = []string{"Maya Patel", "Tom Becker", "Lena Fischer"}
	Warehouse       = "Lena Fischer"
	CancelReasons   = []string{"customer changed their mind", "duplicate order", "address could not be verified", "customer asked to cancel by email"}
	ReturnReasons   = []string{"wrong size", "arrived damaged", "not as pictured", "changed my mind", "received the wrong item"}
	GoodwillReasons = []string{"box arrived crushed, goodwill refund", "late delivery, shipping refunded", "minor scratch, partial refund agreed"}
	Notes           = []string{"Please leave at the front desk.", "Gift: no invoice in the box, please.", "Ring the bell twice.", "Deliver after 5 pm if possible."}
	Carriers        = []string{"UPS", "USPS", "FedEx", "DHL"}
	EventDetails    = map[string][]string{
		"in_transit":       {"Departed facility", "Arrived at sort hub", "In transit to destination"},
		"out_for_delivery": {"Out for delivery"},
		"delivered":        {"Left at front door", "Delivered to mailroom", "Signed for by resident"},
	}
)

// Tags staff put on orders, each on PerMille of every thousand orders; HoldReasons are
// why a paid order waits before it ships.
var (
	Tags = []struct {
		Tag      string
		PerMille int
	}{{"vip", 30}, {"wholesale", 15}, {"gift wrap", 5}, {"fraud review", 1}}
	HoldReasons = []string{"Customer asked us to wait for their second order and ship both together",
		"Address could not be verified: support is calling the customer", "Payment flagged for review"}
)

// EmailLocal is the part of a customer's email before the number and the @.
func EmailLocal(first, last string) string {
	r := strings.NewReplacer("ü", "ue", "á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "'", "", " ", "")
	return r.Replace(strings.ToLower(first + "." + last))
}

// TrackingNumber is a number in the carrier's format.
func TrackingNumber(carrier string, rng *rand.Rand) string {
	switch carrier {
	case "UPS":
		return fmt.Sprintf("1Z%03dE%010d", rng.IntN(1000), rng.IntN(1_000_000_000))
	case "USPS":
		return fmt.Sprintf("9400%09d%09d", rng.IntN(1_000_000_000), rng.IntN(1_000_000_000))
	case "FedEx":
		return fmt.Sprintf("7%011d", rng.IntN(1_000_000_000))
	}
	return fmt.Sprintf("JD%018d", rng.IntN(1_000_000_000))
}
