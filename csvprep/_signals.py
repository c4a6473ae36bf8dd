"""Ctrl-C (SIGINT) and SIGTERM end a command at once: one line on stderr, exit 130 (143), and
no half-written output left.

Set up by the command's entry point (:mod:`csvprep.__main__`) before anything else loads: the
command line takes 40 ms to import, and a Ctrl-C in that time ended in a traceback. The library
never calls this: a program that imports csvprep keeps its own signal handling.
"""

from __future__ import annotations

# only what Python has loaded before any of csvprep runs: each import here would widen the
# time a Ctrl-C still ends in a traceback (threading and contextlib: 7 ms)
import _thread
import os
import signal
import sys
from typing import NoReturn

#: What csvprep says and the status it ends with when stopped by a signal (128 + its number,
#: as a shell reports a command a signal ended).
_STOPPED = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}
_installed: list[bool] = []  # one entry once set up


def stop_on_signals() -> None:
    """Make Ctrl-C and SIGTERM stop this process at once (once set up, again does nothing).

    Python runs a signal handler only in the main thread, between bytecodes: not while Polars
    is busy in Rust on a big batch, nor soon enough to beat the checking threads finishing
    their work. So the handlers do nothing themselves; the C-level handler writes the
    signal's number to a pipe (``set_wakeup_fd``) at once, and a watching thread, which
    needs only the GIL Polars releases while it works, removes any output half-written
    (outputs are written to a temporary file, then renamed) and ends the process.

    >>> import subprocess, sys
    >>> script = "import csvprep._signals as s, os, signal, time; s.stop_on_signals(); "
    >>> script += "os.kill(os.getpid(), signal.SIGTERM); time.sleep(5)"
    >>> done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    >>> done.returncode, done.stderr
    (143, 'csvprep: terminated\\n')
    """
    if _installed:
        return
    _installed.append(True)
    # held back while this is set up: one arriving half-way (the pipe set, the default
    # handler still in place) would also raise KeyboardInterrupt in the main thread
    signal.pthread_sigmask(signal.SIG_BLOCK, set(_STOPPED))
    try:
        read, write = os.pipe()
        os.set_blocking(write, False)
        signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        for signum in _STOPPED:
            signal.signal(signum, lambda *_: None)
        _thread.start_new_thread(_watch, (read,))  # as a daemon: never waited for
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, set(_STOPPED))


def _watch(fd: int) -> None:
    while True:
        for number in os.read(fd, 64):
            if number in _STOPPED:
                _stop(signal.Signals(number))


def _stop(signum: signal.Signals) -> NoReturn:
    # not imported here: the main thread may hold the import lock (and if csvprep.io.writing
    # was never imported, nothing is being written)
    writing = sys.modules.get(f"{__package__}.io.writing")
    if writing is not None:
        writing.abandon_writes()
    # a line of its own after the terminal's "^C"; straight to the file descriptor, as the
    # main thread may hold sys.stderr's lock
    start = "\n" if os.isatty(2) else ""
    try:  # noqa: SIM105 (contextlib is not loaded yet when a signal comes early)
        os.write(2, f"{start}csvprep: {_STOPPED[signum]}\n".encode())
    except OSError:  # stderr closed: the status still says it
        pass
    os._exit(128 + signum)
