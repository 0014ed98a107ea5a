"""Load Manager's Locust plugin, run launcher and load-generator agent."""

__version__ = "0.1.0"
