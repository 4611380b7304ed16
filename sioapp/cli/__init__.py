"""The ``sioapp`` command line: scaffold projects, serve apps, export their event contract."""
