"""Dependency injection: signatures analysed once, bound to a container, called per event."""
