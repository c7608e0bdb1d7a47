"""contractflow: contracts in, grounded fields checked against business rules, posted once."""
