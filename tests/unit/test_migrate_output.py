"""What ``manywheel migrate`` prints: TOML that reads back as the migration, each override a
``[[tool.manywheel.overrides]]`` of its own, as cibuildwheel's documentation writes them."""

from __future__ import annotations

import tomllib

from manywheel.ci.migrate import Migration, migrate


def test_every_override_is_a_table_of_its_own_and_the_text_reads_back() -> None:
    document = {
        "tool": {
            "cibuildwheel": {
                "build-frontend": "build[uv]",
                "overrides": [
                    {"select": "*-musllinux_s390x", "build-frontend": "build"},  # short
                    {"select": "*-manylinux*", "environment": {"AUDITWHEEL_PLAT": "x"}},
                ],
            }
        }
    }
    result = migrate(document, {})
    text = result.toml()
    assert "overrides = [" not in text  # never inline, however short
    assert text.count("[[tool.manywheel.overrides]]\n") == 2
    assert '[tool.manywheel.overrides.environment]\nAUDITWHEEL_PLAT = "x"\n' in text
    assert tomllib.loads(text)["tool"]["manywheel"] == result.table


def test_a_migration_of_overrides_alone_reads_back() -> None:
    result = Migration(table={"overrides": [{"select": "cp312-*", "test-command": "true"}]})
    text = result.toml()
    assert text == '[[tool.manywheel.overrides]]\nselect = "cp312-*"\ntest-command = "true"\n'
    assert tomllib.loads(text)["tool"]["manywheel"] == result.table
