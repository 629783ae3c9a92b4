"""ClaimReview: verdicts out as schema.org JSON-LD, other fact-checkers' reviews in."""
