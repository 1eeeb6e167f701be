"""An independent enterprise generator and scorer, written from SPEC only (not from recon's simulator)."""
