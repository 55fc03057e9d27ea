"""Fuzzing protocol v1 (issue 12): mutated frames against the decoder in-process (``decoder``) and
against a real hub on a real Redis (``commands``); ``python -m tests.fuzz`` runs either, bounded
in inputs and in time (``make fuzz``). The frames and their mutations are in ``frames``; the small
bounded runs of ``make test`` are tests/unit/realtime/test_fuzz_decoder.py and
tests/integration/test_fuzz_commands.py.
"""
