"""Many servers through Redis: every server-wide operation reaches the other processes."""
