"""The Socket.IO layer: python-socketio's server over sioapp's engine; sockets, rooms, broadcasts."""
