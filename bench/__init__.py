"""The benchmark: a data generator, the load runs against the API and pgbench, and the report."""
