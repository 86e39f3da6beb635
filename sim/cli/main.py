"""The ``nhsim`` command line (also ``python -m sim``).

Parses arguments, calls the layers below and prints. Bad input never gives a
traceback: scenario problems are printed one a line, naming file and key path, and
the command exits with code 2 having written nothing.
"""

from __future__ import annotations

import sys

from sim.cli.app import cmd_app
from sim.cli.commands import cmd_compare, cmd_run, cmd_schema, cmd_validate, cmd_verify
from sim.cli.format import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_INTERRUPTED,
    EXIT_SCHEDULER_LOST,
    cap_workers,
    interrupts,
    print_problems,
)
from sim.cli.parser import build_parser
from sim.cli.report import cmd_report
from sim.cli.scale import cmd_scale
from sim.cli.studies import cmd_calibrate, cmd_reproduce, cmd_search, cmd_sweep
from sim.cli.uncertainty import cmd_uncertainty
from sim.output.files import OutputError
from sim.runs.backends import BackendError, check_scheduler_address
from sim.runs.tasks import Interrupted, RunFailed, SchedulerLost
from sim.scenario.errors import ScenarioError

__all__ = ["COMMANDS", "main"]

COMMANDS = {
    "run": cmd_run,
    "compare": cmd_compare,
    "sweep": cmd_sweep,
    "search": cmd_search,
    "calibrate": cmd_calibrate,
    "reproduce": cmd_reproduce,
    "uncertainty": cmd_uncertainty,
    "scale": cmd_scale,
    "validate": cmd_validate,
    "schema": cmd_schema,
    "verify": cmd_verify,
    "report": cmd_report,
    "app": cmd_app,
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from importlib.metadata import version

        print(f"nhsim {version('nhsim')}")
        return 0
    if not args.command:
        parser.print_help()
        return EXIT_BAD_INPUT
    if getattr(args, "scheduler", None) and getattr(args, "backend", "local") != "dask":
        print("nhsim: --scheduler needs --backend dask", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if getattr(args, "scheduler", None):
            check_scheduler_address(args.scheduler)
        cap_workers(args)
        with interrupts():
            return COMMANDS[args.command](args)
    except ScenarioError as err:
        return print_problems(err)
    except OutputError as err:
        print(str(err), file=sys.stderr)
        return EXIT_BAD_INPUT
    except SchedulerLost as err:
        print(f"nhsim: {err}", file=sys.stderr)
        return EXIT_SCHEDULER_LOST
    except Interrupted:
        print("Interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BackendError as err:
        print(f"nhsim: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RunFailed as err:
        print(f"nhsim: {err}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
