"""Seed Example 2, done right: a batch of 3 sequences x 20 steps x 2 features."""
import numpy as np

import seqfeed

data = np.random.default_rng(0).random((3, 20, 2))
batch = seqfeed.as_lstm_input(data)  # a 3-D array passes through (as float32, all steps real)

import keras  # noqa: E402

output = keras.layers.LSTM(units=64)(batch.x, mask=batch.mask)
print("Example 2 - input shape:", batch.x.shape, "-> output shape:", tuple(output.shape))
