import math

import numpy as np
import pytest
import torch

from utils import dpo
from utils.world import preferences


@pytest.fixture(scope="module")
def setup():
    from utils.models import make_model, model_config
    from utils.tokenizer import train_tokenizer
    from utils.zoo import tokenizer_texts

    tok = train_tokenizer(tokenizer_texts()[:2000], vocab_size=400)
    model = make_model(model_config(len(tok), "quick", hidden_size=32, intermediate_size=64,
                                    num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1))
    pairs = dpo.encode_pairs(tok, preferences.pairs(12, seed=0))
    return tok, model, pairs


def test_encode_and_collate(setup):
    tok, _, pairs = setup
    p, c, r = pairs[0]
    assert p and c and r
    assert tok.decode(c).endswith("<|im_end|>\n")
    ids, att, mask = dpo.collate(pairs[:3], tok.pad_token_id)
    assert ids.shape[0] == 6 and att.shape == ids.shape == mask.shape
    assert mask[0].sum() == len(c) and mask[3].sum() == len(r)
    assert (mask <= att).all()
    with pytest.raises(ValueError, match="pairs"):
        dpo.collate([], tok.pad_token_id)
    with pytest.raises(ValueError, match="prompt"):
        dpo.encode(tok, "hi", [])


def test_loss_is_log2_at_the_reference_and_matches_the_formula(setup):
    tok, model, pairs = setup
    ref = dpo.all_logps(model, pairs, tok.pad_token_id, batch=5)
    loss, rc, rr = dpo.dpo_loss(*ref, *ref, beta=0.1)
    assert math.isclose(loss.item(), math.log(2), rel_tol=1e-6) and (rc == 0).all()
    pc, pr = torch.tensor([-1.0, -2.0]), torch.tensor([-3.0, -1.0])
    loss, _, _ = dpo.dpo_loss(pc, pr, torch.zeros(2), torch.zeros(2), beta=0.5)
    expect = -np.mean([np.log(1 / (1 + np.exp(-0.5 * 2))), np.log(1 / (1 + np.exp(-0.5 * -1)))])
    assert math.isclose(loss.item(), expect, rel_tol=1e-6)
    with pytest.raises(ValueError, match="beta"):
        dpo.dpo_loss(pc, pr, pc, pr, beta=0)


def test_sequence_logps_counts_response_tokens_only(setup):
    tok, model, pairs = setup
    ids, att, mask = dpo.collate(pairs[:2], tok.pad_token_id)
    with torch.no_grad():
        full = dpo.sequence_logps(model, ids, att, mask)
        logits = model(input_ids=ids[:1, :len(pairs[0][0]) + len(pairs[0][1])]).logits[0, :-1]
        lp = torch.log_softmax(logits, -1).gather(-1, ids[0, 1:logits.shape[0] + 1, None]).squeeze(-1)
        by_hand = lp[len(pairs[0][0]) - 1:].sum()
    assert torch.allclose(full[0], by_hand, atol=1e-4)


def test_training_raises_the_margin(setup):
    tok, model, pairs = setup
    policy = __import__("copy").deepcopy(model)
    ref = dpo.all_logps(model, pairs, tok.pad_token_id)
    log = dpo.train_dpo(policy, pairs, ref, beta=0.5, steps=15, batch=4, lr=3e-3, pad_id=tok.pad_token_id,
                        progress=False)
    assert np.mean(log["loss"][-3:]) < math.log(2)
    with pytest.raises(ValueError, match="batch"):
        dpo.train_dpo(policy, pairs, ref, beta=0.5, steps=1, batch=99, lr=1e-3, pad_id=0, progress=False)
    with pytest.raises(ValueError, match="lr"):
        dpo.train_dpo(policy, pairs, ref, beta=0.5, steps=1, batch=2, lr=-1, pad_id=0, progress=False)
