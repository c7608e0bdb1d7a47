"""`contractflow eval`: extraction scored against published labels (Kleister-NDA, CUAD).

loaders (`kleister`, `cuad`) turn a split into `Sample`s with gold values and map `ContractFields`
onto the dataset's label space; `metrics` counts matches; `runner` drives parse -> extract -> score
with a per-document cache; `cli` is the typer command.
"""
