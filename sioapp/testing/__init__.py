"""Testing sioapp apps: in this process with `TestClient`, or served for real with `serve`.

- `TestClient` (and `TestServer`) run the app in the test's event loop and talk
  Socket.IO to its ASGI callable over an in-memory WebSocket: no port, no
  uvicorn, no thread. For the handler tests of an app.
- `serve` runs the app under uvicorn on a free port and `connect` connects a real
  python-socketio client to it. For tests across processes, languages or
  transports.
"""

from sioapp.testing._client import TestClient
from sioapp.testing._inbox import Received
from sioapp.testing._live import connect, free_port, serve
from sioapp.testing._server import TestServer

__all__ = ["Received", "TestClient", "TestServer", "connect", "free_port", "serve"]
