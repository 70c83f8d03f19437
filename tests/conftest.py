"""Make the shared helpers of the kit's tests importable by every test module."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

pytest_plugins = ["pytester"]
