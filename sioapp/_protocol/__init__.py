"""The Socket.IO layer: python-socketio over sioapp's engine; sockets, rooms, broadcasts."""
