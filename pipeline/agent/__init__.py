"""The extraction agent: a model, side-effect-free tools and a bounded control loop."""
