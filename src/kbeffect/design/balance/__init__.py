"""Balance diagnostics: statistics, BalanceResult, Love and overlap plots."""

from kbeffect.design.balance.result import BalanceResult, balance

__all__ = ["BalanceResult", "balance"]
