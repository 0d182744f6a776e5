"""PROTOCOL.md's "Reconnect policy" table against the Python client: the close codes the table calls final
are the ones after which ``AsyncCodeGymClient`` does not reconnect (test/clients/ts/reconnect-policy.test.ts
checks the TypeScript client against the same table)."""
from __future__ import annotations

import re
import unittest

from support import REPO

from codegym_client import aio


def policy_rows() -> dict:
    """close code -> the table's client column."""
    text = (REPO / "PROTOCOL.md").read_text(encoding="utf-8")
    start = text.index("### Reconnect policy\n")
    end = text.index("\n#", start + 1)
    rows = {}
    for line in text[start:end].splitlines():
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        match = re.fullmatch(r"`(\d{4})`", cells[0]) if cells else None
        if match:
            rows[int(match.group(1))] = cells[2]
    return rows


class ClosePolicyTests(unittest.TestCase):
    def test_the_table_has_the_final_codes_and_the_drain_code(self):
        rows = policy_rows()
        self.assertEqual({code for code, client in rows.items() if client == "final"},
                         {aio.CLOSE_CODES["unauthorized"], aio.CLOSE_CODES["unsupported_version"], aio.CLOSE_CODES["resumed_elsewhere"]})
        self.assertEqual(rows[aio.CLOSE_CODES["going_away"]], "reconnect and resume")

    def test_final_in_the_table_is_final_in_the_client(self):
        rows = policy_rows()
        self.assertEqual({code for code, client in rows.items() if client == "final"}, set(aio.FINAL_CLOSE_CODES))
        self.assertNotIn(aio.CLOSE_CODES["going_away"], aio.FINAL_CLOSE_CODES)


if __name__ == "__main__":
    unittest.main()
