"""Running the installed `pipe` in a real pseudo-terminal, so width, colour and pager are decided as at a desk."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import termios
import time
from pathlib import Path

from conftest import PIPE_SCRIPT
from wcwidth import wcswidth

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo"
SGR = re.compile(r"\x1b\[[0-9;]*m")
# what the terminal cases leave out of the environment, so that the terminal decides
DECIDING = ("NO_COLOR", "COLUMNS", "LINES", "PAGER", "PIPE_PAGER", "LESS", "FORCE_COLOR")


def terminal_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DECIDING}
    env["TERM"] = "xterm-256color"
    env.update(extra)
    return env


def _controlling_terminal() -> None:  # in the child: the pty becomes its terminal, as in a login
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def in_terminal(
    *args: str,
    columns: int = 80,
    lines: int = 200,
    env: dict[str, str] | None = None,
    keys: bytes = b"",
    timeout: float = 60,
) -> tuple[int, str]:
    """Run `pipe ARGS` with a pseudo-terminal of ``columns`` x ``lines`` as its standard
    input, output and error; ``keys`` are typed once it has printed something. Returns
    the exit code and what the terminal showed (CR LF as LF)."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    proc = subprocess.Popen(
        [str(PIPE_SCRIPT), *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env if env is not None else terminal_env(),
        preexec_fn=_controlling_terminal,
    )
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # the other end closed: every process on it has exited
                    break
                if not chunk:
                    break
                output += chunk
                if keys:
                    time.sleep(0.3)  # let the pager draw its first screen
                    os.write(controller, keys)
                    keys = b""
            elif proc.poll() is not None and not keys:
                break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(controller)
    return code, output.decode("utf-8", "replace").replace("\r\n", "\n")


def plain(text: str) -> str:
    """Text without its colours."""
    return SGR.sub("", text)


def widest(text: str) -> int:
    return max((wcswidth(plain(line)) for line in text.splitlines()), default=0)


def copy_demo(target: Path) -> Path:
    shutil.copytree(DEMO, target)
    return target


def demo_copies(target: Path, copies: int) -> Path:
    """The demo pipeline at ``target`` with every deal there ``copies`` times (the others
    named ``<id>-<n>``): output far over a pipe's buffer."""
    copy_demo(target)
    for path in sorted((target / "deals").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        for n in range(1, copies):
            copy_id = f"{path.stem}-{n:02d}"
            (target / "deals" / f"{copy_id}.yaml").write_text(
                text.replace(f"id: {path.stem}\n", f"id: {copy_id}\n", 1), encoding="utf-8"
            )
    return target
