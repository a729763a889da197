"""The proof engine: theorems, verdicts and the provers behind them."""
