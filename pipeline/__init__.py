"""pilot: ledgers of the Xixia District law-enforcement pilot -> DuckDB -> dbt metrics -> reports."""

__version__ = "0.1.0"
