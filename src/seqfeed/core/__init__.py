"""The sequence core: ragged storage, padding, masks, conversion and diagnosis."""

from ._batch import Batch
from ._convert import as_lstm_input, as_sequence_set
from ._explain import Diagnosis, explain
from ._pad import pad, pad_sequences
from ._sequence_set import SequenceSet

__all__ = ["Batch", "SequenceSet", "as_lstm_input", "as_sequence_set", "pad", "pad_sequences",
           "explain", "Diagnosis"]
