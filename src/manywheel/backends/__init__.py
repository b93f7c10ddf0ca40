"""Executors: where a job's commands run (host processes or a container)."""
