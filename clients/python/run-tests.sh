#!/usr/bin/env bash
# Runs the Python client's tests (unittest, against a real codegym-serve the tests start) and prints,
# as its last line, "N passed, N failed". A crash, a hang past the time limit, or a non-zero exit
# without failed tests counts as one failed test.
#
# Uses /usr/bin/python3 (Debian's, with python3-websockets and python3-msgpack), not a python3 that
# PATH may resolve to (a pyenv Python without those packages). Override with PYTHON=...
# The server runs on the repo's own Node: node_modules/.bin/node.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${PYTHON:-/usr/bin/python3}"
limit_s="${CODEGYM_PY_TEST_TIMEOUT_S:-300}"

cd "$repo" || { echo "0 passed, 1 failed"; exit 1; }
export PATH="$repo/node_modules/.bin:$PATH"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

timeout --kill-after=10 "$limit_s" "$python" -m unittest discover -s clients/python/tests -t clients/python/tests "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

summary="$("$python" - "$log" "$status" <<'PY' 2>/dev/null
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
status = int(sys.argv[2])
ran = re.findall(r"^Ran (\d+) tests? in ", text, re.M)
if not ran:
    print("0 passed, 1 failed")
    sys.exit(0)
total = int(ran[-1])
tail = text[text.rfind("Ran "):]
def count(name):
    found = re.search(rf"{name}=(\d+)", tail)
    return int(found.group(1)) if found else 0
failed = count("failures") + count("errors") + count("unexpected successes")
skipped = count("skipped")
passed = max(0, total - failed - skipped)
if status != 0 and failed == 0:
    failed = 1  # the run crashed or hung after its tests
print(f"{passed} passed, {failed} failed")
PY
)"
[ -n "$summary" ] || summary="0 passed, 1 failed"
echo "$summary"
case "$summary" in *" 0 failed") exit 0 ;; *) exit 1 ;; esac
