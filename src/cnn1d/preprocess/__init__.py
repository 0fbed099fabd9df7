from .series import SeriesPreprocessor

__all__ = ["SeriesPreprocessor"]
