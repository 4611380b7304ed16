"""The server side of the official Socket.IO Admin UI (``@socket.io/admin-ui``).

The UI connects to an admin namespace of the app; `AdminUI` serves it in the official
server's shapes and words, reports what the server does through an `Observer`
(`sioapp._protocol.observers`), and carries out the UI's commands on every server.
"""

from sioapp._admin.auth import AdminAuth
from sioapp._admin.options import Mode
from sioapp._admin.ui import AdminUI

__all__ = ["AdminAuth", "AdminUI", "Mode"]
