"""(being written) The zoo recipe of chapter 4's `tool_use` entry: `build_zoo_entry(folder, profile)`."""
from __future__ import annotations
