"""pyblish's order boundaries, as plain numbers: which stage a plugin's order is in.

pyblish gives each stage an order (``CollectorOrder`` 0, ``ValidatorOrder`` 1,
``ExtractorOrder`` 2, ``IntegratorOrder`` 3) and a plugin belongs to the stage
whose order is within 0.5 of its own. The hub (which has no pyblish), the host
(``submit()``, job planning) and the Publish page all cut a publish here.

Standard library only (no pyblish import), Python 3.7 syntax.
"""

__all__ = [
    "COLLECT",
    "VALIDATE",
    "EXTRACT",
    "INTEGRATE",
    "STAGES",
    "COLLECT_END",
    "VALIDATE_END",
    "EXTRACT_END",
    "EXTRACTION_STARTS",
    "stage",
]

#: Stage names, in pyblish's order.
COLLECT, VALIDATE, EXTRACT, INTEGRATE = "collect", "validate", "extract", "integrate"
STAGES = (COLLECT, VALIDATE, EXTRACT, INTEGRATE)

#: Collection ends here (``CollectorOrder + 0.5``): validation starts.
COLLECT_END = 0.5
#: Validation ends here (``ValidatorOrder + 0.5``).
VALIDATE_END = 1.5
#: Extraction starts here (``ExtractorOrder - 0.5``): a job's steps begin at it.
EXTRACTION_STARTS = VALIDATE_END
#: Extraction ends here (``ExtractorOrder + 0.5``): integration starts.
EXTRACT_END = 2.5


def stage(order):
    """collect, validate, extract or integrate, by pyblish's order ranges."""
    if order < COLLECT_END:
        return COLLECT
    if order < VALIDATE_END:
        return VALIDATE
    if order < EXTRACT_END:
        return EXTRACT
    return INTEGRATE
