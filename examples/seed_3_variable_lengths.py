"""Seed Example 3, done right: sequences of lengths 15, 10 and 12, padded and masked.

The seed passed `mask_zero=True` to LSTM (an Embedding argument: TypeError) and
added a 4th axis with np.expand_dims. Here seqfeed pads the sequences and builds the
mask from their lengths, so padding cannot change any sequence's output: we check
that by running every sequence alone, with trained-like (non-zero) biases and a
real all-zero step, for both padding sides.
"""
import numpy as np

import seqfeed

rng = np.random.default_rng(0)
sequences = [rng.random((15, 1)), rng.random((10, 1)), rng.random((12, 1))]
sequences[1][4] = 0.0  # a real step whose features are all zero: it must stay real

import keras  # noqa: E402

lstm = keras.layers.LSTM(units=64)
batch = seqfeed.pad(sequences)  # post padding, mask from lengths
output = lstm(batch.x, mask=batch.mask)
print("Example 3 - input shape:", batch.x.shape, "-> output shape:", tuple(output.shape))

# Trained-like weights: fresh LSTMs have zero biases, which hides padding bugs.
kernel, recurrent, bias = lstm.get_weights()
lstm.set_weights([kernel, recurrent, rng.normal(0.0, 0.5, bias.shape).astype("float32")])
worst = 0.0
for padding in ("post", "pre"):
    batch = seqfeed.pad(sequences, padding=padding)
    padded_out = np.asarray(lstm(batch.x, mask=batch.mask))
    for i, seq in enumerate(sequences):
        alone = np.asarray(lstm(seq[None].astype("float32")))
        worst = max(worst, float(np.abs(padded_out[i] - alone[0]).max()))
print(f"Example 3 - largest difference between a padded sequence's output and the same "
      f"sequence run alone (post and pre padding): {worst:.2e}")
