"""The steps of one job: build, repair, test. They only talk to an Executor."""
