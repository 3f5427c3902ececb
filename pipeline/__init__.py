"""pilot: ledgers of the Xixia District law-enforcement pilot -> DuckDB -> dbt metrics -> reports."""

from .reporting import open_reporting

__all__ = ["open_reporting"]
__version__ = "0.1.0"
