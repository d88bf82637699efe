"""Visit statistics, the footfall forecast and the monthly report: anonymous counts, consented data."""
