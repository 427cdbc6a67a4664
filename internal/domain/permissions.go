package domain

// Permission is one thing a staff user may do in the back-office. Handlers check a
// permission, never a role, so that the matrix below is the only place roles are decided.
type Permission string

const (
	PermViewDashboard    Permission = "dashboard.view"
	PermViewOrders       Permission = "orders.view"
	PermExportOrders     Permission = "orders.export"
	PermTransitionOrders Permission = "orders.transition" // change status along the state machine
	PermCancelOrders     Permission = "orders.cancel"
	PermCreateOrders     Permission = "orders.create"   // take an order for a customer (/orders/new)
	PermEditOrders       Permission = "orders.edit"     // contact, addresses and lines of an unshipped order
	PermDiscountOrders   Permission = "orders.discount" // a manual discount on a staff-made order
	PermTagOrders        Permission = "orders.tag"
	PermHoldOrders       Permission = "orders.hold" // put on hold and release
	PermComment          Permission = "orders.comment"
	PermRecordPayments   Permission = "payments.record"
	PermRefund           Permission = "refunds.create"
	PermFulfill          Permission = "orders.fulfill" // fulfillment queue, packing slips, mark shipped
	PermViewReturns      Permission = "returns.view"
	PermCreateReturns    Permission = "returns.create"
	PermDecideReturns    Permission = "returns.decide" // approve or reject
	PermReceiveReturns   Permission = "returns.receive"
	PermViewProducts     Permission = "products.view"
	PermEditProducts     Permission = "products.edit"
	PermAdjustStock      Permission = "stock.adjust"
	PermManageStaff      Permission = "staff.manage"
	PermManageTokens     Permission = "tokens.manage"
	PermManageSettings   Permission = "settings.manage" // tax rates, shipping rates, coupons, shipping deadlines
	PermSaveViews        Permission = "views.save"      // save order-list views, share them, order the tabs
	PermDefaultViews     Permission = "views.defaults"  // set each role's default view
	PermViewActivity     Permission = "activity.view"   // the store-wide activity log and its export
)

// Permissions lists every permission in the order the README's matrix shows them.
var Permissions = []Permission{
	PermViewDashboard, PermViewOrders, PermExportOrders, PermTransitionOrders, PermCancelOrders,
	PermCreateOrders, PermEditOrders, PermDiscountOrders, PermTagOrders, PermHoldOrders,
	PermComment, PermRecordPayments, PermRefund, PermFulfill, PermViewReturns, PermCreateReturns,
	PermDecideReturns, PermReceiveReturns, PermViewProducts, PermEditProducts, PermAdjustStock,
	PermManageStaff, PermManageTokens, PermManageSettings, PermSaveViews, PermDefaultViews, PermViewActivity,
}

// rolePermissions is the permission matrix. Admin may do everything. Support answers
// customers: orders (taking them on the phone, editing, tagging, holding), money and
// return decisions, but touches neither stock nor settings, and gives no manual discount.
// Warehouse handles physical goods: it fulfills, receives returned parcels, adjusts stock
// after a count (each adjustment is recorded with a reason and the user's name) and may
// hold an order it finds a problem with, but never moves money or decides returns.
var rolePermissions = map[Role][]Permission{
	RoleAdmin: Permissions,
	RoleSupport: {
		PermViewDashboard, PermViewOrders, PermExportOrders, PermTransitionOrders, PermCancelOrders,
		PermCreateOrders, PermEditOrders, PermTagOrders, PermHoldOrders,
		PermComment, PermRecordPayments, PermRefund, PermViewReturns, PermCreateReturns,
		PermDecideReturns, PermViewProducts, PermSaveViews,
	},
	RoleWarehouse: {
		PermViewDashboard, PermViewOrders, PermHoldOrders, PermFulfill, PermViewReturns, PermReceiveReturns,
		PermViewProducts, PermAdjustStock, PermSaveViews,
	},
}

var roleCan = func() map[Role]map[Permission]bool {
	m := map[Role]map[Permission]bool{}
	for r, ps := range rolePermissions {
		m[r] = map[Permission]bool{}
		for _, p := range ps {
			m[r][p] = true
		}
	}
	return m
}()

// Can reports whether role r has permission p. Unknown roles may do nothing.
func (r Role) Can(p Permission) bool { return roleCan[r][p] }
