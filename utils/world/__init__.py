"""The book's data world: a small, consistent, generated world in plain English.

Everything is produced by seeded generators, so every chapter's data is offline,
deterministic and checkable by a program:

* :mod:`~utils.world.cast` -- the fixed cast of characters, places and objects, and the
  facts about them (some held out of pre-training, for retrieval later);
* :mod:`~utils.world.arithmetic` -- multi-digit arithmetic with step-by-step traces whose
  every step a program can check;
* :mod:`~utils.world.corpus` -- the pre-training corpus built from the two above;
* :mod:`~utils.world.images` -- small images of coloured shapes on a grid, with captions
  and questions a program can check (the vision-language model).

Further kinds of data (preference pairs, tool-use episodes, images) are added as
modules of their own beside these, reading the same :class:`World`.
"""
from .arithmetic import Problem, check_trace, make_problem, make_problems, parse_answer, trace
from .cast import Fact, World
from .corpus import pretraining_corpus, split_corpus

__all__ = [
    "World", "Fact", "Problem", "make_problem", "make_problems", "trace", "check_trace",
    "parse_answer", "pretraining_corpus", "split_corpus",
]

from . import preferences  # noqa: E402  preference pairs with known ground truth (DPO, reward models)
from .instructions import (ChatTask, arithmetic_tasks, chat_dataset, fact_tasks, instruction_splits,
                           score_response)

__all__ += ["ChatTask", "fact_tasks", "arithmetic_tasks", "instruction_splits", "score_response",
            "chat_dataset"]

from . import knowledge  # noqa: E402  the knowledge base of passages, for retrieval (RAG)
from . import tools  # noqa: E402  tool-use episodes: a calculator and a lookup tool with JSON calls
from . import images  # noqa: E402  small images of coloured shapes with captions and questions (the VLM)
from . import requests  # noqa: E402  requests to answer and requests to refuse (the characters' secrets), and the rules
