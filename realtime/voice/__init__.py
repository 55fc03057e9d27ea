"""Live voice (issue 16): the WebRTC media in the hub (``relay.py``, the only importer of aiortc)
and the sessions of each meeting on this hub (``sessions.py``), under the rules of
``moderation/voice.py``. docs/voice.md."""
