"""After the build: checks PyPI's rules, reproducible wheels, SBOM reading, sdist, publish."""
