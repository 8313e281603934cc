"""l2lab."""
