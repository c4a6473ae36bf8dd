"""The ``csvprep`` command: ``python -m csvprep``, and the script pip installs.

>>> import subprocess, sys
>>> subprocess.run([sys.executable, "-m", "csvprep", "--version"], capture_output=True).returncode
0
"""

from ._signals import stop_on_signals


def main() -> None:
    """Run the command line, with Ctrl-C handled first: before click and the command line
    load (40 ms), in which a Ctrl-C ended in a traceback."""
    stop_on_signals()
    from .cli import main as run

    run()


if __name__ == "__main__":
    main()
