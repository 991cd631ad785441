"""Run pytest and treat "no tests collected" (exit code 5) as a failure with a clear message."""
import sys

import pytest

code = pytest.main(sys.argv[1:])
if code == pytest.ExitCode.NO_TESTS_COLLECTED:
    print(f"error: pytest collected no tests from {sys.argv[1:]}", file=sys.stderr)
    sys.exit(1)
sys.exit(int(code))
