"""The public lookup store (R-19): what anyone may learn about a dossier, and nothing more."""
