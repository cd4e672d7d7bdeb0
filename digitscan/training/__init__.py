"""Making models: MNIST data, synthetic augmentation, the recipes, the training loop, the card, fine-tuning."""
