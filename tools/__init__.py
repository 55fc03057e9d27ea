"""Project tools run by make and CI; standard library only (they run before the venv exists)."""
