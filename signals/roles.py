"""The roles an API key can have, weakest first (a light module: the CLI lists them at
start without importing the database layer)."""

ROLES = ("reader", "analyst", "admin")
