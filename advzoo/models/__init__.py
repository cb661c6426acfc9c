"""Model families, one folder each (`advzoo/models/<family>/`). A family's
`__init__` exposes `FAMILY` (an `advzoo.family.Family`); the registry finds
it by name, so nothing here imports the families."""
