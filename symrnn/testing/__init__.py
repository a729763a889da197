"""Public hypothesis strategies for testing recurrent and graph implementations."""
