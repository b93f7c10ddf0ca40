"""Explaining a machine or a wheel: doctor, explain, the glibc floor."""
