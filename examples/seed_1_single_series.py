"""Seed Example 1, done right: one series of 10 steps, one feature -> (1, 10, 1)."""
import numpy as np

import seqfeed

sequence = np.random.default_rng(0).random(10)  # one series, 10 time steps
batch = seqfeed.as_lstm_input(sequence)  # -> x (1, 10, 1), mask (1, 10)

import keras  # noqa: E402  (imported after the data is shaped; seqfeed itself never needs it)

output = keras.layers.LSTM(units=32)(batch.x, mask=batch.mask)
print("Example 1 - input shape:", batch.x.shape, "-> output shape:", tuple(output.shape))
