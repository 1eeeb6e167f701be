"""Transform, validate, match, publish and schedule: the only writer of the warehouse."""
