"""Statistical analyzers and the training toolkit (imports torch; `import sentiment` does not).

- nets.py: MLP and RNN configs and networks (versioned architecture names)
- vocab.py: vocabulary and n-gram hashing; model.py: a classifier = featurizer + net + labels
- losses.py, optim.py, train.py, lr_find.py: the training toolkit as plain functions
- checkpoint.py: model directories (config.json, vocab.json, model.safetensors)
- evaluate.py: accuracy, macro-F1, per-class report, confusion matrix, ECE
- experiment.py: one TOML config -> a trained model directory (`sentiment train --config`)
- analyzer.py: `NeuralAnalyzer`, registered as "neural"
"""
