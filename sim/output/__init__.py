"""Output: results folders written atomically, tables, and figures. Knows nothing of the engine's internals."""
