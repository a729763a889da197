"""Code generation: NumPy kernels (forward and backward) generated from descriptions."""
