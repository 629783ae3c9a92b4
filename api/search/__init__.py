"""Finding claims: filters, full-text search, and the same claim in other articles."""
