"""The modules of bench/reference_analysis.py: a plain-Python port of the gateway's analysis (issue 12)."""
