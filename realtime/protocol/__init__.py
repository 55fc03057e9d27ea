"""Protocol v1: messages, codecs and the per-connection state machine. No I/O here."""
