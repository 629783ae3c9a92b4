"""``claimtrack demo``: a German article with claims, sources and verifications to try the API on."""
