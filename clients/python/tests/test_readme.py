"""Every code snippet of clients/python/README.md runs as written: each ```python block in a fresh
interpreter (only ``clients/python`` on PYTHONPATH, and the stand-in gymnasium for the blocks that
need gymnasium), with each distinct ``ws://`` URL replaced by a live server's URL. The verl YAML
block names classes that import."""
from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import unittest

from support import PYTHON_CLIENT, STANDIN, Server, shared_server

README = PYTHON_CLIENT / "README.md"
SNIPPET_TIMEOUT_S = 120
_URL = re.compile(r"ws://[A-Za-z0-9.\-]+:\d+")


def blocks(language):
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)


def setUpModule():
    global SERVERS
    SERVERS = [shared_server(), Server()]


def tearDownModule():
    SERVERS[1].stop()


class ReadmeSnippetsTest(unittest.TestCase):
    def test_there_are_snippets(self):
        self.assertGreaterEqual(len(blocks("python")), 6)

    def test_every_python_snippet_runs_as_written(self):
        for index, code in enumerate(blocks("python")):
            first_line = code.strip().splitlines()[0]
            with self.subTest(snippet=index, starts=first_line):
                urls = list(dict.fromkeys(_URL.findall(code)))
                for number, url in enumerate(urls):
                    code = code.replace(url, SERVERS[number % len(SERVERS)].url)
                paths = [str(PYTHON_CLIENT)]
                if "gymnasium" in code:
                    paths.insert(0, str(STANDIN))
                env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
                done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                      timeout=SNIPPET_TIMEOUT_S, cwd=PYTHON_CLIENT)
                self.assertEqual(done.returncode, 0, f"snippet {index} failed:\n{code}\n--- stderr:\n{done.stderr}")

    def test_yaml_config_names_importable_classes(self):
        names = [name for block in blocks("yaml") for name in re.findall(r"class_name:\s*(\S+)", block)]
        self.assertTrue(names)
        for name in names:
            module, _, attribute = name.rpartition(".")
            self.assertTrue(callable(getattr(importlib.import_module(module), attribute)), name)


if __name__ == "__main__":
    unittest.main()
