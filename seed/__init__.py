"""The dataset: generated with Faker and numpy, reproducibly, and bulk-loaded with LOAD DATA."""
