"""The generated error-code module against the schemas, and the exceptions made from wire errors."""
from __future__ import annotations

import importlib.util
import json
import unittest

from support import PYTHON_CLIENT, REPO

import codegym_client
from codegym_client import (CodeGymClientError, CodeGymError, ERROR_CLASSES, ERROR_CODES, StepMismatchError,
                            error_from_wire)


def load_generator():
    spec = importlib.util.spec_from_file_location("generate_codes", PYTHON_CLIENT / "tools" / "generate_codes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class GeneratedCodesTest(unittest.TestCase):
    def test_module_matches_the_schemas(self):
        generator = load_generator()
        current = (PYTHON_CLIENT / "codegym_client" / "_codes.py").read_text(encoding="utf-8")
        self.assertEqual(current, generator.render(REPO / "schemas"),
                         "codegym_client/_codes.py is stale: run python3 clients/python/tools/generate_codes.py")

    def test_every_schema_code_has_its_own_class(self):
        protocol = json.loads((REPO / "schemas" / "protocol.schema.json").read_text())["$defs"]
        env = json.loads((REPO / "schemas" / "env.schema.json").read_text())["$defs"]
        codes = [entry["const"] for entry in protocol["ProtocolErrorCode"]["oneOf"] + env["RuntimeErrorCode"]["oneOf"]]
        self.assertEqual(list(ERROR_CODES), codes)
        self.assertEqual(len(set(ERROR_CLASSES.values())), len(codes))
        for code in codes:
            cls = ERROR_CLASSES[code]
            self.assertTrue(issubclass(cls, CodeGymError) and issubclass(cls, CodeGymClientError))
            self.assertEqual(cls.code, code)
            self.assertIs(getattr(codegym_client, cls.__name__), cls)

    def test_error_from_wire(self):
        error = error_from_wire({"code": "step_mismatch", "message": "the episode has taken 6 steps, not 2",
                                 "data": {"step": 6}}, op="step")
        self.assertIsInstance(error, StepMismatchError)
        self.assertEqual((error.code, error.data, error.op), ("step_mismatch", {"step": 6}, "step"))
        self.assertIn("step_mismatch", str(error))
        self.assertEqual(error.error_object["data"], {"step": 6})
        future = error_from_wire({"code": "some_future_code", "message": "new"})
        self.assertIs(type(future), CodeGymError)
        self.assertEqual(future.code, "some_future_code")
        self.assertIsNone(future.data)


if __name__ == "__main__":
    unittest.main()
