"""The application runtime: routers and their registry, dispatch, server-side events, RateLimit."""
