"""The FastAPI service, its worker, the dashboard and the `riftcast` command line."""
