"""Bundle support shared by the estimators whose fitted state is a list of attributes plus a few extras
(forecaster, text classifier, language model): one place that writes and restores it."""

from __future__ import annotations

from typing import Any


class AttributeBundleMixin:
    """``_STATE`` names the fitted attributes saved verbatim (JSON); ``_extra_state`` / ``_restore_extra``
    handle the rest. Constructor parameters travel too, so a loaded estimator clones and refits alike."""

    _STATE: tuple[str, ...] = ()
    _UNSAVED_PARAMS = ("out", "verbose", "resume")
    # Parameters renamed since a bundle was written: old name -> new name.
    _RENAMED_PARAMS: dict[str, str] = {}

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _restore_extra(self, state: dict[str, Any]) -> None:
        return None

    def _bundle_state(self) -> dict[str, Any]:
        state = {name: getattr(self, name) for name in self._STATE}
        state["params"] = {k: v for k, v in self.get_params().items() if k not in self._UNSAVED_PARAMS}
        state.update(self._extra_state())
        return state

    @classmethod
    def _from_bundle_state(cls, config, state: dict[str, Any], model):
        params = {cls._RENAMED_PARAMS.get(k, k): v for k, v in state["params"].items()}
        est = cls(**params)
        est.model_, est.config_ = model, config
        for name in cls._STATE:
            setattr(est, name, state[name])
        est._restore_extra(state)
        return est

    def save(self, path, *, metrics: dict | None = None):
        """Write one self-contained bundle file (see :mod:`cnn1d.bundle`)."""
        from ..bundle import save

        return save(self, path, metrics=metrics)
