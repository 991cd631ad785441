"""(being written) Chapter 4's tools data of the world."""
from __future__ import annotations
