"""Photos in, sealed templates out, with the desk's quality and lookalike checks; no photo is kept."""
