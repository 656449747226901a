"""Support after delivery: requests with response and resolution clocks, hours spent, and
the monthly support statement per customer."""
