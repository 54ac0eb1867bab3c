"""Records: the run record and its forms (emissions.csv, JSON lines), and readers for them."""
