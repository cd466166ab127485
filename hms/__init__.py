"""hms: the Hospital Management System database and its tooling."""

__version__ = "0.1.0"
