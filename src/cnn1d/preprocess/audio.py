"""Audio front ends computed in NumPy and saved with the model as JSON: log-mel and MFCC sequences, plus
the steps every clip goes through before them (resampling to the model's rate, cropping to a duration).

The features are computed once per fit (and per predict call) from the raw clips, not inside the Keras
graph. Keras 3's ``MelSpectrogram`` layer would run on every backend, but in the graph it recomputes the
STFT on every batch of every epoch (60-100 epochs here) and sees zero padding as signal; computed once,
each clip keeps its true frame count, so padding is masked exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from ..data.dataset import Dataset
from ..errors import ConfigError, DataError, did_you_mean

FRONT_ENDS = ("raw", "log_mel", "mfcc")
# What audio data trains with unless the user says otherwise, by task. Classes: MiniRocket (PPV and MPV) over
# log-mel frames with two warped copies of each clip: on spoken digits in accents never heard in training 0.960
# (seeds 0-2, 10,000 features) against 0.947 for M5 over the same frames, and on Mandarin syllables never heard in
# training (4 tones) 0.943 against 0.928, in a quarter of the time (docs/audio.md). Tags need sigmoid outputs, which a ridge
# head does not give: the M5 network over log-mel frames (first kernel 16, 60 epochs), which scored 1.000 on the
# voice split in 7-8 s, LITE over log-mel 0.988/0.975/0.975 in ~43 s and M5 on the raw waveform 0.887 in 55 s.
# 20,000 kernel-dilation-bias features per pooling instead of MiniRocket's 10,000 (2026-11-30): 0.964 / 0.963 / 0.964
# against 0.961 / 0.959 / 0.961 on the unseen accents and 0.946 / 0.942 / 0.953 against 0.942 / 0.939 / 0.949 on the
# unseen-syllable tones (seeds 0-2, ahead on every seed of both sets) for 1.5x the training time.
AUDIO_CLASSIFIER = {"model": "minirocket", "model_params": {"pooling": ["ppv", "mpv"], "n_features": 20_000},
                    "front_end": "log_mel", "augment": 2}
AUDIO_TAGGER = {"model": "m5", "front_end": "log_mel", "epochs": 60, "augment": 2}
AUDIO_RECOMMENDED = {"classify": AUDIO_CLASSIFIER, "regress": AUDIO_CLASSIFIER, "tag": AUDIO_TAGGER}


def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m) / 2595.0) - 1.0)


def vtlp_warp(freqs: np.ndarray, alpha: float, rate: int, boundary: float = 0.85) -> np.ndarray:
    """Frequencies scaled by ``alpha`` up to a boundary, then linearly to Nyquist, so 0 and Nyquist stay put
    (vocal tract length perturbation, Jaitly & Hinton 2013)."""
    nyquist = rate / 2.0
    knee = boundary * nyquist * min(alpha, 1.0) / alpha
    upper = nyquist - (nyquist - boundary * nyquist * min(alpha, 1.0)) / (nyquist - knee) * (nyquist - freqs)
    return np.where(freqs <= knee, freqs * alpha, upper)


def mel_filterbank(n_mels: int, n_fft: int, rate: int, warp: float = 1.0) -> np.ndarray:
    """Triangular filters evenly spaced on the mel scale, ``(n_mels, n_fft // 2 + 1)``; ``warp`` other than 1
    moves their edges by :func:`vtlp_warp` (a shorter or longer vocal tract)."""
    points = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(rate / 2.0), n_mels + 2))
    if warp != 1.0:
        points = vtlp_warp(points, warp, rate)
    bins = np.floor((n_fft + 1) * points / rate).astype(int)
    bank = np.zeros((n_mels, n_fft // 2 + 1), dtype=np.float64)
    for m in range(1, n_mels + 1):
        left, centre, right = bins[m - 1], bins[m], bins[m + 1]
        bank[m - 1, left:centre] = (np.arange(left, centre) - left) / max(centre - left, 1)
        bank[m - 1, centre:right] = (right - np.arange(centre, right)) / max(right - centre, 1)
    return bank


@dataclass
class LogMel:
    """Log-mel spectrogram: 25 ms Hann windows every 10 ms, ``n_mels`` bands, log(power + 1e-6).

    A clip of ``n`` samples becomes a sequence of ``1 + (n - win) // hop`` frames with ``n_mels`` channels;
    multichannel audio is mixed to mono first. With ``cmn`` each band's mean over the clip is subtracted
    (cepstral mean normalisation): a voice's or microphone's fixed spectral colouring is a constant offset
    per band in the log domain, so this removes it. On spoken digits in accents never heard in training it
    raised the default from 0.920 to 0.942 (3 seeds; dividing by the deviation too scored 0.906).
    """

    sample_rate: int = 8000
    n_mels: int = 40
    window_ms: float = 25.0
    hop_ms: float = 10.0
    cmn: bool = False

    @property
    def window(self) -> int:
        return int(round(self.sample_rate * self.window_ms / 1000))

    @property
    def hop(self) -> int:
        return int(round(self.sample_rate * self.hop_ms / 1000))

    def features(self, audio: np.ndarray, warp: float = 1.0, tempo: float = 1.0) -> np.ndarray:
        """``(frames, n_mels)``; ``warp`` and ``tempo`` (augmentation only) warp the filterbank's frequencies
        and stretch the frame sequence by ``1 / tempo`` (speaking rate without a pitch change)."""
        win, hop = self.window, self.hop
        n_fft = int(2 ** np.ceil(np.log2(win)))
        if len(audio) < win:
            audio = np.pad(audio, (0, win - len(audio)))
        frames = 1 + (len(audio) - win) // hop
        index = np.arange(win)[None, :] + hop * np.arange(frames)[:, None]
        power = np.abs(np.fft.rfft(audio[index] * np.hanning(win), n_fft)) ** 2
        log_mel = np.log(power @ mel_filterbank(self.n_mels, n_fft, self.sample_rate, warp).T + 1e-6)
        if tempo != 1.0:
            grid = np.linspace(0, len(log_mel) - 1, max(2, int(round(len(log_mel) / tempo))))
            log_mel = np.stack([np.interp(grid, np.arange(len(log_mel)), band) for band in log_mel.T], axis=1)
        if self.cmn:
            log_mel -= log_mel.mean(axis=0, keepdims=True)
        return log_mel.astype(np.float32)

    def n_frames(self, n_samples: int) -> int:
        return 1 + (max(n_samples, self.window) - self.window) // self.hop

    def transform(self, data: Dataset, copies: int = 0, seed: int | None = None, *, warp: float = 0.1,
                  tempo: float = 0.15) -> Dataset:
        """Features of every clip; a multichannel clip gets each channel's features side by side.

        ``copies`` > 0 (training-set augmentation) adds that many perturbed feature sequences after each
        clip's own, labels repeated: the filterbank warped by a factor in [1 - ``warp``, 1 + ``warp``]
        (another vocal tract length) and the frames stretched by one in [1 - ``tempo``, 1 + ``tempo``]
        (another speaking rate), drawn from a generator seeded with ``seed``.
        """
        rate = data.meta.get("sample_rate", self.sample_rate)
        if rate != self.sample_rate:
            raise DataError(f"{data.source}: audio at {rate} Hz but the model expects {self.sample_rate} Hz")
        rng = np.random.default_rng(seed)
        series, labels = [], []
        for i in range(len(data)):
            clip = np.nan_to_num(data.values[i, : data.lengths[i]])
            draws = [(1.0, 1.0)] + [(rng.uniform(1 - warp, 1 + warp), rng.uniform(1 - tempo, 1 + tempo))
                                    for _ in range(copies)]
            for alpha, stretch in draws:
                series.append(np.concatenate([self.features(clip[:, c], alpha, stretch) for c in range(clip.shape[1])],
                                             axis=1))
                labels.append(i)
        y = None if data.y is None else data.y[np.array(labels)]
        return Dataset.from_series(series, y, source=data.source, name=data.name, class_names=data.class_names,
                                   task=data.task, meta=dict(data.meta))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, state: dict) -> "LogMel":
        return cls(**state)


@dataclass
class Mfcc(LogMel):
    """MFCC sequences: the first ``n_mfcc`` DCT-II (orthonormal) coefficients of each log-mel frame."""

    n_mfcc: int = 13

    def features(self, audio: np.ndarray, warp: float = 1.0, tempo: float = 1.0) -> np.ndarray:
        from scipy.fft import dct

        return dct(super().features(audio, warp, tempo), type=2, axis=1, norm="ortho")[:, : self.n_mfcc].astype(np.float32)


def front_end(name: str, sample_rate: int, cmn: bool = False) -> LogMel | None:
    """The front end called ``name`` (``None`` for raw audio); ``cmn``: per-clip mean normalisation."""
    if name not in FRONT_ENDS:
        raise ConfigError(f"front_end={name!r} is not valid{did_you_mean(name, FRONT_ENDS)}; choose one of: "
                          f"{', '.join(FRONT_ENDS)}")
    return {"log_mel": LogMel, "mfcc": Mfcc}[name](sample_rate=sample_rate, cmn=cmn) if name != "raw" else None


def resample(data: Dataset, rate: int) -> Dataset:
    """Clips recorded at ``data.meta["sample_rate"]`` brought to ``rate`` with scipy's polyphase filter."""
    from ..data.audio import resample_clip

    series = [resample_clip(np.nan_to_num(data.values[i, : data.lengths[i]]), int(data.meta["sample_rate"]), rate)
              for i in range(len(data))]
    return Dataset.from_series(series, data.y, source=data.source, name=data.name, class_names=data.class_names,
                               task=data.task, meta={**data.meta, "sample_rate": rate, "resampled_from": data.meta["sample_rate"]})


def crop(data: Dataset, n_samples: int) -> Dataset:
    """Keep the first ``n_samples`` of every clip (shorter clips are padded later, with a mask channel)."""
    if data.max_length <= n_samples:
        return data
    return replace(data, values=data.values[:, :n_samples], lengths=np.minimum(data.lengths, n_samples))


def prepare(data: Dataset, *, front_end_name: str, sample_rate: int, duration: float | None,
            cmn: bool = False, copies: int = 0, seed: int | None = None) -> Dataset:
    """What an estimator feeds its preprocessor: resampled to ``sample_rate`` (when the data says its own
    rate), cropped to ``duration`` seconds, then turned into ``front_end_name`` features; ``copies``
    perturbed feature sequences per clip (warped filterbank, stretched frames) for training augmentation."""
    if data.meta.get("sample_rate") and int(data.meta["sample_rate"]) != sample_rate:
        data = resample(data, sample_rate)
    if duration:
        data = crop(data, duration_samples(duration, sample_rate))
    features = front_end(front_end_name, sample_rate, cmn)
    return data if features is None else features.transform(data, copies, seed)


def duration_samples(duration: float, sample_rate: int) -> int:
    return max(1, int(round(duration * sample_rate)))


def fixed_length(front_end_name: str, sample_rate: int, duration: float) -> int:
    """The network's input length (samples or frames) for clips cropped/padded to ``duration`` seconds."""
    n = duration_samples(duration, sample_rate)
    features = front_end(front_end_name, sample_rate)
    return n if features is None else features.n_frames(n)
