"""Model output never wedges an env: every value a policy may produce is either sent or turned into
an observation / a typed CodeGymClientError before any request is registered, and the next step on
the same session works. Also: every exception the package raises derives from CodeGymClientError."""
from __future__ import annotations

import asyncio
import socket
import unittest

import numpy as np

from support import shared_server

from codegym_client import (AsyncCodeGymClient, CodeGymClient, CodeGymClientError, CodeGymEnv, ConnectError, InvalidArgumentError,
                            RequestTooLargeError, UnencodableValueError)
from codegym_client.actions import parse_action

SUBARRAY = "codegym/max-subarray-v1"


def setUpModule():
    global SERVER
    SERVER = shared_server()


def deep(levels):
    value = 0
    for _ in range(levels):
        value = [value]
    return value


class _Cyclic(dict):
    pass


def cyclic():
    value = _Cyclic(name="GetLength")
    value["parameters"] = value
    return value


#: (label, action, what the agent sees: "ok" a tool result, "invalid" an invalid_action observation)
MODEL_OUTPUTS = [
    ("nan parameter", {"name": "GetElement", "parameters": {"index": float("nan")}}, "invalid"),
    ("infinity parameter", {"name": "GetElement", "parameters": {"index": float("inf")}}, "invalid"),
    ("NaN in JSON text", '{"name": "GetElement", "parameters": {"index": NaN}}', "invalid"),
    ("Infinity in a tool call's arguments", {"name": "GetElement", "arguments": '{"index": -Infinity}'}, "invalid"),
    ("numpy int64", {"name": "GetElement", "parameters": {"index": np.int64(1)}}, "ok"),
    ("numpy float32 nan", {"name": "GetElement", "parameters": {"index": np.float32("nan")}}, "invalid"),
    ("numpy array", {"name": "GetLength", "parameters": {"extra": np.arange(3)}}, "invalid-params"),
    ("numpy bool", {"name": "GetElement", "parameters": {"index": np.bool_(True)}}, "tool-error"),
    ("numpy answer", {"name": "Done", "parameters": {"answer": np.int64(5)}}, "answer"),
    ("integer over 64 bits", {"name": "GetElement", "parameters": {"index": 2 ** 70}}, "tool-error"),
    ("integer over float range", {"name": "GetElement", "parameters": {"index": 10 ** 400}}, "invalid"),
    ("bytes", b'{"name": "GetLength", "parameters": {}}', "ok"),
    ("invalid UTF-8 bytes", b"\xff\xfe{", "invalid"),
    ("bytes parameter", {"name": "GetElement", "parameters": {"index": b"\x00\xff"}}, "tool-error"),
    ("lone surrogate", "I think \ud800 the answer", "invalid"),
    ("lone surrogate in a parameter", {"name": "GetElement", "parameters": {"index": "\udfff"}}, "tool-error"),
    ("object", object(), "invalid"),
    ("cycle", cyclic(), "invalid"),
    ("nesting too deep", {"name": "GetLength", "parameters": {"x": deep(100)}}, "invalid"),
    ("__proto__ key", {"name": "GetLength", "parameters": {"__proto__": {"polluted": True}}}, "invalid"),
    ("non-string keys", {"name": "GetLength", "parameters": {1: 2}}, "invalid-params"),
    ("tuple", ("GetLength",), "invalid"),
    ("None", None, "invalid"),
    ("numpy text", np.str_('{"name": "GetLength"}'), "ok"),
]


class GymEnvModelOutputTest(unittest.TestCase):
    def test_every_model_output_is_an_observation_and_the_next_step_works(self):
        for codec in ("msgpack", "json"):
            # request_timeout=None: a request that got no answer would hang the test, not time out.
            with CodeGymEnv(SERVER.url, SUBARRAY, codec=codec, request_timeout=None) as env:
                for label, action, expected in MODEL_OUTPUTS:
                    with self.subTest(codec=codec, output=label):
                        env.reset(seed=3, options={"difficulty": "easy"})
                        observation, reward, terminated, truncated, info = env.step(action)
                        self.assertEqual(info["step"], 1)
                        if expected == "ok":
                            self.assertFalse(info["rolledBack"], observation)
                        elif expected == "answer":
                            self.assertTrue(terminated)
                            continue
                        else:
                            self.assertTrue(info["rolledBack"], observation)
                            self.assertTrue(observation.startswith("Error:"), observation)
                        if expected == "invalid":
                            self.assertEqual(info["error"]["code"], "invalid_action", observation)
                        observation, _, _, _, info = env.step({"name": "GetLength"})
                        self.assertEqual((info["step"], info["rolledBack"]), (2, False))
                        self.assertEqual(env.client.async_client.pending_requests, 0)

    def test_plain_action_rules(self):
        self.assertEqual(parse_action({"name": "A", "parameters": {"i": np.int64(3), "f": np.float32(0.5), "a": np.arange(2)}}),
                         {"name": "A", "parameters": {"i": 3, "f": 0.5, "a": [0, 1]}})
        self.assertEqual(parse_action({"name": "A", "parameters": {"i": 2 ** 70}}), {"name": "A", "parameters": {"i": float(2 ** 70)}})
        self.assertEqual(parse_action("x\ud800y"), "x\ufffdy")
        self.assertEqual(parse_action("\ud83d\ude00"), "\U0001F600")  # a surrogate pair is its character
        self.assertEqual(parse_action(b"\xff"), "\ufffd")
        self.assertEqual(parse_action('{"name": "A", "parameters": {"i": NaN}}'), '{"name": "A", "parameters": {"i": NaN}}')
        self.assertIsInstance(parse_action({"name": "A", "parameters": {"i": float("nan")}}), str)


class ClientEncodingTest(unittest.TestCase):
    """The low-level client refuses what it cannot encode with a typed error, before registering the
    request: no id is used up, the tracked step count does not move, the next step works."""

    def test_unencodable_values_are_refused_before_sending(self):
        bad = {
            "nan": float("nan"), "infinity": float("-inf"), "huge int": 2 ** 64, "lone surrogate": "\ud800",
            "object": object(), "non-string key": {1: 2}, "__proto__": {"__proto__": 1}, "too deep": deep(80),
            "numpy nan": np.float64("nan"),
        }
        for codec in ("msgpack", "json"):
            with CodeGymClient.connect(SERVER.url, codec=codec, request_timeout=None) as client:
                session = client.reset(SUBARRAY, {"seed": 2})["session"]
                for label, value in bad.items():
                    with self.subTest(codec=codec, value=label):
                        with self.assertRaises(UnencodableValueError) as raised:
                            client.step(session, {"name": "GetElement", "parameters": {"index": value}})
                        self.assertIsInstance(raised.exception, CodeGymClientError)
                        self.assertIsInstance(raised.exception, ValueError)
                        self.assertEqual(raised.exception.op, "step")
                        self.assertTrue(raised.exception.path.startswith("params.action.parameters.index"), raised.exception.path)
                        self.assertEqual(client.async_client.pending_requests, 0)
                        self.assertEqual(client.step_of(session), 0)
                self.assertEqual(client.step(session, {"name": "GetElement", "parameters": {"index": np.int32(0)}})["info"]["step"], 1)
                with self.assertRaises(UnencodableValueError):
                    client.done(session, float("nan"))
                with self.assertRaises(UnencodableValueError):
                    client.reset(SUBARRAY, {"seed": float("inf")})
                self.assertEqual(client.step(session, {"name": "GetLength"})["info"]["step"], 2)

    def test_frame_over_the_server_limit_is_refused_before_sending(self):
        with CodeGymClient.connect(SERVER.url) as client:
            session = client.reset(SUBARRAY, {"seed": 2})["session"]
            limit = client.limits["maxFrameBytes"]
            with self.assertRaises(RequestTooLargeError) as raised:
                client.step(session, "x" * (limit + 1))
            self.assertEqual(raised.exception.max_frame_bytes, limit)
            self.assertTrue(client.is_open)
            self.assertEqual(client.step(session, {"name": "GetLength"})["info"]["step"], 1)

    def test_pipelined_steps_around_a_refused_one(self):
        async def main():
            async with await AsyncCodeGymClient.connect(SERVER.url) as client:
                session = (await client.reset(SUBARRAY, {"seed": 2}))["session"]
                first = client.step(session, {"name": "GetLength"})
                refused = client.step(session, {"name": "GetElement", "parameters": {"index": float("nan")}})
                third = client.step(session, {"name": "GetLength"})
                with self.assertRaises(UnencodableValueError):
                    await refused
                self.assertEqual([(await first)["info"]["step"], (await third)["info"]["step"]], [1, 2])
        asyncio.run(asyncio.wait_for(main(), 30))


class TypedErrorsTest(unittest.TestCase):
    def test_connect_failures_are_connect_errors(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        for url in (f"ws://127.0.0.1:{port}", "not a url", "http://127.0.0.1:1"):
            with self.subTest(url=url):
                with self.assertRaises(ConnectError) as raised:
                    CodeGymClient.connect(url, open_timeout=5)
                self.assertIsInstance(raised.exception, CodeGymClientError)
                self.assertIsInstance(raised.exception, ConnectionError)

    def test_bad_arguments(self):
        with self.assertRaises(InvalidArgumentError):
            CodeGymClient.connect(SERVER.url, codec="xml")
        with self.assertRaises(InvalidArgumentError):
            CodeGymEnv(SERVER.url, "")
        with self.assertRaises(InvalidArgumentError):
            CodeGymEnv(None, SUBARRAY)

    def test_a_closed_blocking_client_raises_a_typed_error(self):
        client = CodeGymClient.connect(SERVER.url)
        client.close()
        with self.assertRaises(CodeGymClientError):
            client.list_envs()


if __name__ == "__main__":
    unittest.main()
