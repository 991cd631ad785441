"""(being written) The zoo recipe of chapter 4's `cot` entry: `build_zoo_entry(folder, profile)`."""
from __future__ import annotations
