"""SioApp: the runtime, the Socket.IO server, the container and the contract pages in one ASGI app."""
