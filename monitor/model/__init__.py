"""The topic model: features, counting, classify, scoring in a worker, train, evaluate, labels."""
