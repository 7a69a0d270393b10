"""Pharmacokinetics and effect-site pharmacodynamics of ketamine and esketamine (pure Python)."""
