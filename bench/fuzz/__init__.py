"""Hostile-input fuzzing of a live sioapp server: ``python -m bench.fuzz --examples N``.

:func:`bench.fuzz.campaign.run` sends hostile sessions (see
:mod:`bench.fuzz.frames`) to the app of :mod:`bench.fuzz.target`, served in its
own process, while a well-behaved client (:mod:`bench.fuzz.watcher`) stays
connected, and returns a report. tests/test_fuzz.py runs a short campaign with a
fixed seed.
"""
