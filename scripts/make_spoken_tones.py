"""Mandarin syllables in the four tones, read by espeak-ng's Mandarin voice: a development set for audio
classification by pitch contour, split by syllable (the test syllables are never heard in training).

    python scripts/make_spoken_tones.py --out tones/      # tones/train/tone1/ma1_m1_140.wav ... (apt-get install espeak-ng)
    cnn1d train --data tones/train --test tones/test --max-time 300 --seed 0 --json

71 syllables x 4 tones x 6 voice variants x 2 speed/pitch settings; 20 syllables (drawn with seed 0) are the
test set: 2,448 training clips and 960 test clips. Synthetic speech, not recordings: it stands in for real
recorded syllables, which no package installs offline.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
from pathlib import Path

SYLLABLES = ("ma ba pa da ta na la ga ka ha mi bi pi di ti ni li ji qi xi mu bu pu du tu nu lu gu ku hu zhu chu "
             "shu ru zu cu su wo yu yi wa ya ye yao you yan yin yang ying wang wei wen mao bao dao tao nao lao gao "
             "kao hao man ban pan dan tan nan lan gan kan han").split()
VARIANTS = ("", "+m1", "+m3", "+f1", "+f3", "+f5")
SETTINGS = ((140, 40), (170, 60))  # (words per minute, pitch)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--test-syllables", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if shutil.which("espeak-ng") is None:
        sys.exit("error: espeak-ng is not installed (apt-get install -y espeak-ng)")
    test = set(random.Random(args.seed).sample(SYLLABLES, args.test_syllables))
    count = 0
    for syllable in SYLLABLES:
        split = "test" if syllable in test else "train"
        for tone in (1, 2, 3, 4):
            folder = args.out / split / f"tone{tone}"
            folder.mkdir(parents=True, exist_ok=True)
            for variant in VARIANTS:
                for speed, pitch in SETTINGS:
                    out = folder / f"{syllable}{tone}_{variant.strip('+') or 'base'}_{speed}.wav"
                    subprocess.run(["espeak-ng", "-v", f"cmn{variant}", "-s", str(speed), "-p", str(pitch), "-w", str(out),
                                    f"{syllable}{tone}"], check=True, stderr=subprocess.DEVNULL)
                    count += 1
    print(f"{count} clips ({len(SYLLABLES) - len(test)} training and {len(test)} test syllables) under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
