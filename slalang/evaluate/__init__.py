"""Evaluation: the plan's runtime form, the replay of each lead, and the reduction across
leads into SLA and target results."""
