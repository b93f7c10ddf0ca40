"""Running a plan: the scheduler, one job's pipeline, results, logs, reports, the wheelhouse."""
