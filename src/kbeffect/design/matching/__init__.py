"""Matching: nearest neighbour, optimal pair, CEM, exact and subclassification."""

from kbeffect.design.matching.api import match
from kbeffect.design.matching.result import MatchResult

__all__ = ["MatchResult", "match"]
