"""The review page: an article with its claims highlighted, served by the API itself."""
