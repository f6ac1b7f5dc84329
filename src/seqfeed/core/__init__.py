"""The sequence core: ragged storage, padding, masks, conversion and diagnosis.

Besides the public API (re-exported by ``seqfeed``), the building blocks the other subpackages
use: ``gather_index`` and ``check_numeric`` (ragged index arithmetic, the numeric-dtype check),
``pad_set`` (`pad` on a validated set, for batch loaders), ``SetPadder`` (batch after batch of one
set, one compiled call each, for batch loaders) and ``check_dtype``/``check_value`` (the padding
options' checks).
"""

from ._batch import Batch
from ._convert import as_sequence_set
from ._copy import SetPadder
from ._explain import Diagnosis, explain
from ._lstm_input import as_lstm_input
from ._pad import check_dtype, check_value, pad, pad_sequences, pad_set
from ._ragged import check_numeric, gather_index
from ._sequence_set import SequenceSet

__all__ = ["Batch", "SequenceSet", "as_lstm_input", "as_sequence_set", "pad", "pad_sequences",
           "explain", "Diagnosis", "SetPadder", "check_dtype", "check_numeric", "check_value", "gather_index",
           "pad_set"]
