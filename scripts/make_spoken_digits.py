"""Generate the spoken-digit dataset offline with Debian's espeak-ng (``apt-get install -y espeak-ng``).

    python scripts/make_spoken_digits.py --out spoken-digits.npz [--rate 8000] [--variants 2] [--wav-dir DIR]
    python scripts/make_spoken_digits.py --split accent --out accents.npz --wav-dir DIR [--variants 4]

Ten digits ("zero" .. "nine") spoken by 16 voices (en-us with 12 variants and four British/Scottish
accents), each at several speed/pitch settings, resampled with a polyphase filter to ``--rate`` Hz.
The split is by voice: test voices are never heard in training. Output: a NumPy ``.npz`` (no pickle)
with int16 ``audio`` (n, max_samples), ``lengths``, ``label``, ``voice``, ``split`` and ``rate``; with
``--wav-dir`` also a folder of WAV files, one subfolder per digit.

``--split accent`` is the harder development split: whole accents are left out of training, not only
voices. Training hears four native English accents and six non-native ones (the English digit words read
by espeak-ng's German, French, Spanish, Italian, Russian and Hindi voices), each with six voice variants;
the test set is four other native accents (Caribbean, New York City, Lancaster, West Midlands) and four
other non-native ones (Dutch, Polish, Swedish, Portuguese) with voice variants never used in training.
With ``--wav-dir DIR`` the clips are written as DIR/train/DIGIT/*.wav and DIR/test/DIGIT/*.wav, what
``cnn1d train --data DIR/train --test DIR/test`` reads.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np

DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TRAIN_VOICES = [f"en-us+m{i}" for i in range(1, 7)] + [f"en-us+f{i}" for i in range(1, 5)] + ["en-gb-scotland", "en-gb-x-rp"]
TEST_VOICES = ["en-us+m7", "en-us+f5", "en-gb-x-gbclan", "en-gb-x-gbcwmd"]
SETTINGS = [(150, 50), (175, 35), (125, 65), (160, 80)]  # (words per minute, pitch)
ACCENT_TRAIN = ["en-us", "en-gb", "en-gb-x-rp", "en-gb-scotland", "de", "fr-fr", "es", "it", "ru", "hi"]
ACCENT_TEST = ["en-029", "en-us-nyc", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "nl", "pl", "sv", "pt"]
ACCENT_TRAIN_VARIANTS = ["m1", "m2", "m3", "f1", "f2", "f3"]
ACCENT_TEST_VARIANTS = ["m4", "m5", "f4", "f5"]


def voices_of(split: str) -> list[tuple[str, str]]:
    """``(split, voice)`` pairs: by voice (the embedded demo) or by accent (whole accents held out)."""
    if split == "voice":
        return [("train", v) for v in TRAIN_VOICES] + [("test", v) for v in TEST_VOICES]
    return ([("train", f"{a}+{v}") for a in ACCENT_TRAIN for v in ACCENT_TRAIN_VARIANTS]
            + [("test", f"{a}+{v}") for a in ACCENT_TEST for v in ACCENT_TEST_VARIANTS])


def synthesise(word: str, voice: str, speed: int, pitch: int) -> tuple[np.ndarray, int]:
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", word],
                         check=True, capture_output=True).stdout
    with wave.open(io.BytesIO(wav)) as fh:
        rate = fh.getframerate()
        audio = np.frombuffer(fh.readframes(fh.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0
    return audio, rate


def trim_silence(audio: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > threshold)
    return audio[loud[0]: loud[-1] + 1] if loud.size else audio


def main(argv=None) -> int:
    from scipy.signal import resample_poly

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--rate", type=int, default=8000)
    parser.add_argument("--variants", type=int, default=2, help=f"speed/pitch settings per voice (1-{len(SETTINGS)})")
    parser.add_argument("--wav-dir", type=Path, default=None)
    parser.add_argument("--split", choices=("voice", "accent"), default="voice",
                        help="voice: test voices unseen (the embedded demo); accent: whole accents unseen")
    args = parser.parse_args(argv)
    clips, labels, voices, splits = [], [], [], []
    for split, voice in voices_of(args.split):
        for speed, pitch in SETTINGS[: args.variants]:
            for digit in DIGITS:
                audio, rate = synthesise(digit, voice, speed, pitch)
                ratio = Fraction(args.rate, rate)
                audio = resample_poly(trim_silence(audio), ratio.numerator, ratio.denominator)
                clips.append(np.clip(audio * 32767, -32768, 32767).astype(np.int16))
                labels.append(digit)
                voices.append(voice)
                splits.append(split)
    longest = max(len(c) for c in clips)
    audio = np.zeros((len(clips), longest), dtype=np.int16)
    for i, c in enumerate(clips):
        audio[i, : len(c)] = c
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, audio=audio, lengths=np.array([len(c) for c in clips]), label=np.array(labels),
                        voice=np.array(voices), split=np.array(splits), rate=np.array(args.rate))
    if args.wav_dir:
        for i, c in enumerate(clips):
            folder = args.wav_dir / (splits[i] if args.split == "accent" else "") / labels[i]
            folder.mkdir(parents=True, exist_ok=True)
            with wave.open(str(folder / f"{voices[i].replace('+', '_')}_{i}.wav"), "wb") as fh:
                fh.setnchannels(1)
                fh.setsampwidth(2)
                fh.setframerate(args.rate)
                fh.writeframes(c.tobytes())
    print(f"{len(clips)} clips, {longest} samples max at {args.rate} Hz -> {args.out} ({args.out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
