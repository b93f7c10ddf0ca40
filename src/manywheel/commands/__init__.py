"""One module per subcommand, each with ``configure_parser(subparsers)`` and ``execute(args)``."""
