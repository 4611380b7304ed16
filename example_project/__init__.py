"""A real chat: REST login and presence beside Socket.IO rooms and private messages."""
