# Opt-in groups arrive with the groups issue (see ARCHITECTURE.md, rule 5).
