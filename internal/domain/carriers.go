package domain

import (
	"net/url"
	"strings"
)

// Carrier is a shipping company whose tracking page we can link to.
type Carrier struct {
	Name string // canonical name, stored on the fulfillment and shown to people
	// trackURL builds the carrier's public tracking page for an already escaped number.
	trackURL func(escaped string) string
	aliases  []string // other spellings people type, compared after carrierKey
}

// Carriers lists the carriers with tracking links, in the order the fulfillment form
// offers them.
var Carriers = []Carrier{
	{Name: "UPS", trackURL: query("https://www.ups.com/track?tracknum=")},
	{Name: "USPS", trackURL: query("https://tools.usps.com/go/TrackConfirmAction?tLabels="),
		aliases: []string{"unitedstatespostalservice"}},
	{Name: "FedEx", trackURL: query("https://www.fedex.com/fedextrack/?trknbr="),
		aliases: []string{"federalexpress"}},
	{Name: "DHL", trackURL: query("https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id="),
		aliases: []string{"dhlexpress"}},
	{Name: "Royal Mail", trackURL: func(n string) string {
		return "https://www.royalmail.com/track-your-item#/tracking-results/" + n
	}},
	{Name: "Canada Post", trackURL: query("https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor="),
		aliases: []string{"postescanada"}},
}

func query(prefix string) func(string) string {
	return func(escaped string) string { return prefix + escaped }
}

// CarrierNames lists the known carriers' names for a select.
func CarrierNames() []string {
	out := make([]string, len(Carriers))
	for i, c := range Carriers {
		out[i] = c.Name
	}
	return out
}

// carrierKey folds a carrier's name so that "fedex", "Fed Ex" and "FEDEX" compare equal.
func carrierKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// LookupCarrier finds a known carrier by name or alias, ignoring case, spaces and punctuation.
func LookupCarrier(name string) (Carrier, bool) {
	key := carrierKey(name)
	if key == "" {
		return Carrier{}, false
	}
	for _, c := range Carriers {
		if carrierKey(c.Name) == key {
			return c, true
		}
		for _, a := range c.aliases {
			if a == key {
				return c, true
			}
		}
	}
	return Carrier{}, false
}

// CanonicalCarrier is the name to store for what a user typed: the known carrier's own
// spelling, or the trimmed input for a carrier we do not know.
func CanonicalCarrier(name string) string {
	name = strings.TrimSpace(name)
	if c, ok := LookupCarrier(name); ok {
		return c.Name
	}
	return name
}

// TrackingURL is the carrier's public tracking page for number, or "" when the carrier
// is unknown or there is no number. The number is escaped, never pasted raw.
func TrackingURL(carrier, number string) string {
	number = strings.TrimSpace(number)
	c, ok := LookupCarrier(carrier)
	if !ok || number == "" {
		return ""
	}
	// Query escaping leaves only unreserved characters raw; a space becomes %20 rather
	// than '+', which pages that read the number from a fragment would keep literally.
	return c.trackURL(strings.ReplaceAll(url.QueryEscape(number), "+", "%20"))
}

// Shipment limits.
const (
	MaxCarrier        = 64
	MaxTrackingNumber = 64
)

// ValidateShipment checks a fulfillment's carrier and tracking number.
func ValidateShipment(fe FieldErrors, carrier, tracking string) {
	validateText(fe, "carrier", carrier, MaxCarrier, false)
	if len(tracking) > MaxTrackingNumber {
		fe.Add("tracking_number", "must be at most 64 characters")
		return
	}
	for _, r := range tracking {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == ' ' || r == '-') {
			fe.Add("tracking_number", "may hold only letters, digits, spaces and hyphens")
			return
		}
	}
	if tracking != "" && strings.TrimSpace(carrier) == "" {
		fe.Add("carrier", "is required with a tracking number")
	}
}
