"""(being written) Chapter 4's knowledge data of the world."""
from __future__ import annotations
