"""An app that speaks socket.io-msgpack-parser's wire format, and its JavaScript client."""
