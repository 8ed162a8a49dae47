"""The ``hourbridge`` command line (typer): parse, call bootstrap, print (rich) or --json."""
