"""Machine translation through deep-translator: providers, answer checks and the engine."""
