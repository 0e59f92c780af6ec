"""Imported first by the fork server of the process runner, never elsewhere: Ctrl-C is ignored.

The fork server imports its preload modules before it protects itself from Ctrl-C, and the
workers it forks inherit the handlers it had then. Ctrl-C reaches the whole process group; the
parent handles it (stops the pool, says what was kept), so the fork server and its workers
ignore it instead of each printing a KeyboardInterrupt traceback.
"""

from __future__ import annotations

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
