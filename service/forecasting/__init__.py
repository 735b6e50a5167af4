"""The orchestration that joins storage (`signals`) and maths (`models`): it loads the log
as arrays, fits and publishes model runs, serves forecasts from the published draws and
backtests the stored log. HTTP-free: the routes, the CLI and the refit worker call it.
`models/` stays pure mathematics on arrays, held by an import-linter contract."""
