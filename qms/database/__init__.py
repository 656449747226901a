"""What the database's refusals mean, for every edge (web, CLI).

- `faults`: a database error read as a race or as something else;
- `retry`: committing work that takes the next free number, again when a concurrent
  transaction took it first.
"""
