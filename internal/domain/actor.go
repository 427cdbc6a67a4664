package domain

// ActorType says who made a change: a staff user, an API token, the system (jobs,
// webhooks) or a customer.
type ActorType string

const (
	ActorStaff    ActorType = "staff"
	ActorToken    ActorType = "token"
	ActorSystem   ActorType = "system"
	ActorCustomer ActorType = "customer"
	ActorCLI      ActorType = "cli" // the oms command line (user and token commands)
)

// Actor is who makes a change; every history row records one.
type Actor struct {
	Type ActorType
	ID   string // staff user or token id; empty for the system
	Name string // what history shows in "by"
	// Email is a staff user's, by which the activity log names them (names repeat).
	Email string
	Role  Role // a staff user's role; empty for others
	// Scopes limit a token to parts of the API; nil: everything (see Allows).
	Scopes []Scope
}

// System is the actor of background jobs and gateway webhooks.
var System = Actor{Type: ActorSystem, Name: "system"}

// CLI is the actor of changes made with the oms command line.
var CLI = Actor{Type: ActorCLI, Name: "cli"}
