"""Everything a person reads about a run: report.json, the HTML page, the terminal summary, the Prefect markdown
and table, the dataset card, and the dataset statistics that the training task also uses.

Plain Python over the ledger and the kept rows (layer 1: imports formats only, never filters, train or Prefect)."""
