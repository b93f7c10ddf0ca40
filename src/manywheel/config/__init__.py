"""Options: ``[tool.manywheel]`` < ``MANYWHEEL_*`` environment < command-line flags."""

from manywheel.config.declarations import OPTIONS, Option
from manywheel.config.model import Options
from manywheel.config.resolve import ConfigSources, OptionsResolver, load_config, resolve

__all__ = [
    "OPTIONS",
    "ConfigSources",
    "Option",
    "Options",
    "OptionsResolver",
    "load_config",
    "resolve",
]
