"""The user's terminal: handing it to a container's shell, and noticing when it is gone.

Owns :mod:`.relay` (copying the terminal to a container's PTY and back,
raw mode, window size, restoring the terminal afterwards), :mod:`.escape`
(machinectl's ``^]^]^]`` within one second), :mod:`.fds` (descriptor and
signal helpers of the relay) and :mod:`.lifeline` (a lost terminal,
SIGHUP or SIGTERM end the app and its child processes).  It may import the
standard library and psutil; never Textual, never a Host.
"""
