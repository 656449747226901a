"""What the database can hold and what its refusals mean, for every edge (web, CLI).

- `limits`: the ranges and lengths the columns hold, checked before anything is written;
- `faults`: a database error read as a race, a refused write (disk full, read-only) or
  an outage, and the probe `/healthz` uses to tell whether a write would succeed;
- `retry`: committing work that takes the next free number, again when a concurrent
  transaction took it first.
"""
