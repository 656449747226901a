"""One working calendar for every due date: business hours, public holidays, extra days."""
