"""One module per edition; each only renders a finished Document (no reading, no parsing)."""
