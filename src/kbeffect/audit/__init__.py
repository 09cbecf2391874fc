"""Robustness audit: reproduce a published RM-ANOVA finding and re-estimate it."""

from __future__ import annotations

from kbeffect.audit.api import SPECS, robustness_audit
from kbeffect.audit.result import AuditResult

__all__ = ["SPECS", "AuditResult", "robustness_audit"]
