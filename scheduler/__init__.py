"""The scheduler process: `python -m bot scheduler` (never inside a web worker)."""
