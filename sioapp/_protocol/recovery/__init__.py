"""Connection state recovery: a reconnecting client keeps its id, rooms, data and missed events."""

from sioapp._protocol.recovery.keeper import Claim, SessionKeeper
from sioapp._protocol.recovery.memory import MemoryStore
from sioapp._protocol.recovery.options import ConnectionStateRecovery, ExpiredSession
from sioapp._protocol.recovery.store import LogEntry, Missed, RecoveryStore, SavedSession

__all__ = [
    "Claim",
    "ConnectionStateRecovery",
    "ExpiredSession",
    "LogEntry",
    "MemoryStore",
    "Missed",
    "RecoveryStore",
    "SavedSession",
    "SessionKeeper",
]
