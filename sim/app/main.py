"""The nhsim web app's entry script: ``streamlit run sim/app/main.py`` (or ``nhsim app``).

Streamlit runs this file as ``__main__``. The model's worker processes import it too
(as ``__mp_main__``, the way multiprocessing starts workers), so it does nothing but
under the guard: a worker never loads Streamlit or draws a page.
"""

if __name__ == "__main__":
    import sys
    from pathlib import Path

    try:
        import sim  # noqa: F401
    except ImportError:  # run from a checkout that is not installed
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

    from sim.app.page import main

    main()
