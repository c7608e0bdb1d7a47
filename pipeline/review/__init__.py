"""The review queue: where a person decides on contracts the pipeline would not post alone."""
