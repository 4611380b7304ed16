"""Benchmarks of sioapp against raw python-socketio and Node's socket.io: ``python -m bench``."""
