"""The classifier: its contract (input size, classes), architectures, files (safe loading) and inference copy."""
