"""Storage of reports: the hourly rollup and the queries that read figures from every job."""
