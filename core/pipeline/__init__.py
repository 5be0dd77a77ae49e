"""The pipeline layer: models, methods' recipes, trainer, explanations, metrics, the build and its artifacts."""
