"""Data in: mapping files for the export layouts of common CRMs (`--mapping hubspot`)."""
