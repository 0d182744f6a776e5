"""Test support: a real codegym-serve started from the repo root, and the package on sys.path."""
from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import List, Optional

PYTHON_CLIENT = Path(__file__).resolve().parent.parent
REPO = PYTHON_CLIENT.parent.parent
if str(PYTHON_CLIENT) not in sys.path:
    sys.path.insert(0, str(PYTHON_CLIENT))

NODE = REPO / "node_modules" / ".bin" / "node"
SERVE = REPO / "bin" / "codegym-serve.js"
START_TIMEOUT_S = 30.0

_running: List["Server"] = []


class Server:
    """``node bin/codegym-serve.js --port 0 --log-level info`` plus ``args``; the URL comes from the
    JSON 'listening' log line on stderr. Later stderr lines are kept in ``log``."""

    def __init__(self, *args: str):
        env = dict(os.environ)
        env["PATH"] = f"{NODE.parent}{os.pathsep}{env.get('PATH', '')}"
        env.pop("CODEGYM_TOKEN", None)
        self.process = subprocess.Popen(
            # A free port unless the args name one.
            [str(NODE), str(SERVE), *([] if "--port" in args else ["--port", "0"]), "--log-level", "info", *args],
            cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _running.append(self)
        self.log: List[dict] = []
        self.url = self._await_listening()
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _await_listening(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT_S
        seen = []
        assert self.process.stderr is not None
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line:
                break
            seen.append(line)
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("msg") == "listening" and isinstance(entry.get("url"), str):
                return entry["url"]
        self.stop()
        raise RuntimeError("codegym-serve did not start:\n" + "".join(seen))

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            try:
                self.log.append(json.loads(line))
            except ValueError:
                pass

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.process.send_signal(sig)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr is not None:
            try:
                self.process.stderr.close()
            except Exception:  # noqa: BLE001 - the drainer thread may be reading it
                pass
        if self in _running:
            _running.remove(self)


@atexit.register
def _stop_all() -> None:
    for server in list(_running):
        server.stop()


_shared: Optional[Server] = None


def shared_server() -> Server:
    """One default server for every test module that needs no special flags."""
    global _shared
    if _shared is None or _shared.process.poll() is not None:
        _shared = Server()
    return _shared


def env_ids_present() -> List[str]:
    """The env ids of envs/*/env.json in the working tree."""
    ids = []
    for manifest in sorted((REPO / "envs").glob("*/env.json")):
        try:
            ids.append(json.loads(manifest.read_text(encoding="utf-8"))["id"])
        except (ValueError, KeyError):
            continue
    return ids


STANDIN = Path(__file__).resolve().parent / "standin"


class standin_gymnasium:
    """While active: the stand-in ``gymnasium`` package (tests/standin) is importable and
    ``codegym_client.gym`` is reloaded over it, so ``CodeGymEnv`` subclasses its ``Env``. On exit the
    modules are restored and ``codegym_client.gym`` is reloaded as it was. Yields the gym module."""

    def __enter__(self):
        import importlib
        import codegym_client.gym as gym_module
        self._saved = {name: module for name, module in sys.modules.items()
                       if name == "gymnasium" or name.startswith("gymnasium.")}
        for name in self._saved:
            del sys.modules[name]
        sys.path.insert(0, str(STANDIN))
        self.module = importlib.reload(gym_module)
        return self.module

    def __exit__(self, *exc):
        import importlib
        sys.path.remove(str(STANDIN))
        for name in [name for name in sys.modules if name == "gymnasium" or name.startswith("gymnasium.")]:
            del sys.modules[name]
        sys.modules.update(self._saved)
        importlib.reload(self.module)
