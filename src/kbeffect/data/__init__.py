"""Data layer: schema, the Cohort container, validation, derived measures and readers."""
