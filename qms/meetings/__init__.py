"""Meetings and communications with a customer, on an order or on the customer: the
customer project kept as a log of meetings."""
