"""The local web app (Streamlit): the same engine, scenario files and seeds as the CLI.

``nhsim app`` serves :data:`SCRIPT` with ``streamlit run``. The modules without
Streamlit in their name do the app's work in plain Python (scenario sources, the
capacities a page offers, TOML writing, flows, downloads) so that they can be tested
and reused; the views draw them. Importing this package does not import Streamlit.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SCRIPT"]

SCRIPT = Path(__file__).resolve().parent / "main.py"
"""The entry script given to ``streamlit run``."""
