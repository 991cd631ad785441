"""Run pytest and treat "no tests collected" (exit code 5) as a failure with a clear message."""
import sys

import pytest


def main() -> int:
    code = pytest.main(sys.argv[1:])
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print(f"error: pytest collected no tests from {sys.argv[1:]}", file=sys.stderr)
        return 1
    return int(code)


if __name__ == "__main__":   # tests that spawn processes re-import this module in each child
    sys.exit(main())
