"""Customer loyalty measures per period: the loyalty index, the share of order value from
existing customers, and orders that came on a customer's recommendation."""
