"""SioApp: the runtime, the Socket.IO server, the container and the contract in one ASGI app."""
