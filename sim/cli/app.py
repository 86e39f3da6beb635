"""``nhsim app``: serve the local web app with Streamlit.

The app needs the ``app`` extra (Streamlit, plotly and friends). Without it the
command says how to install it and exits with code 2, with no traceback. Streamlit's
usage statistics are switched off and the server listens on loopback unless told
otherwise; the page loads nothing from the internet.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys

from sim.cli.format import EXIT_BAD_INPUT

__all__ = ["APP_PACKAGES", "INSTALL_HINT", "cmd_app", "missing_packages", "streamlit_command"]

APP_PACKAGES = ("streamlit", "plotly", "pandas")
"""Modules the app cannot start without (the animation and the report say so on the page)."""

INSTALL_HINT = "pip install -e '.[app]'  (or: pip install 'nhsim[app]')"


def missing_packages() -> list[str]:
    """The app's required modules that are not installed."""
    return [name for name in APP_PACKAGES if importlib.util.find_spec(name) is None]


def streamlit_command(port: int, address: str) -> list[str]:
    """The ``streamlit run`` command line that serves the app."""
    from sim.app import SCRIPT

    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(SCRIPT),
        "--server.headless=true",
        "--browser.gatherUsageStats=false",
        f"--server.port={port}",
        f"--server.address={address}",
        "--server.runOnSave=false",
        "--server.fileWatcherType=none",
        "--global.developmentMode=false",
        "--client.toolbarMode=viewer",
    ]


def cmd_app(args: argparse.Namespace) -> int:
    missing = missing_packages()
    if missing:
        print(
            f"nhsim app needs the app extra ({', '.join(missing)} not installed): {INSTALL_HINT}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    command = streamlit_command(args.port, args.address)
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    print(
        f"nhsim app: serving on http://{args.address}:{args.port} (Ctrl-C stops it)",
        file=sys.stderr,
    )
    server = subprocess.Popen(command, env=env)
    try:
        return server.wait()
    except KeyboardInterrupt:  # Streamlit got the Ctrl-C too: let it stop cleanly
        try:
            server.wait(timeout=10)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            server.terminate()
            server.wait()
        return 0
