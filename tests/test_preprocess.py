import numpy as np
import pytest

from cnn1d.data.dataset import Dataset
from cnn1d.errors import DataError
from cnn1d.preprocess import SeriesPreprocessor


def test_series_znorm_pads_and_masks():
    ds = Dataset.from_array([np.array([1.0, 2.0, 3.0, 4.0]), np.array([10.0, 20.0])])
    pre = SeriesPreprocessor(scaling="series").fit(ds)
    out = pre.transform(ds)
    assert out.shape == (2, 4, 2)  # unequal lengths -> a mask channel
    np.testing.assert_allclose(out[0, :, 0].mean(), 0, atol=1e-6)
    np.testing.assert_allclose(out[0, :, 0].std(), 1, atol=1e-5)
    np.testing.assert_allclose(out[1, :2, 0], [-1, 1], atol=1e-5)
    assert out[1, 2:, 0].tolist() == [0, 0] and out[:, :, 1].tolist() == [[1, 1, 1, 1], [1, 1, 0, 0]]


def test_global_scaling_uses_training_statistics_only():
    train = Dataset.from_array(np.array([[0.0, 2.0], [0.0, 2.0]]))
    test = Dataset.from_array(np.array([[100.0, 100.0]]))
    pre = SeriesPreprocessor(scaling="global").fit(train)
    assert pre.channel_mean == [1.0] and pre.channel_std == [1.0]
    np.testing.assert_allclose(pre.transform(test)[0, :, 0], [99, 99])
    again = SeriesPreprocessor.from_dict(pre.to_dict())
    np.testing.assert_array_equal(again.transform(test), pre.transform(test))


def test_linear_imputation_and_mask_channel():
    ds = Dataset.from_array(np.array([[0.0, np.nan, 2.0, np.nan, 4.0]]))
    pre = SeriesPreprocessor(scaling="none").fit(ds)
    out = pre.transform(ds)
    np.testing.assert_allclose(out[0, :, 0], [0, 1, 2, 3, 4])
    assert out[0, :, 1].tolist() == [1, 0, 1, 0, 1]
    no_mask = SeriesPreprocessor(scaling="none", mask_channel="no", imputation="zero").fit(ds)
    np.testing.assert_allclose(no_mask.transform(ds)[0, :, 0], [0, 0, 2, 0, 4])


def test_channel_mismatch_and_longer_series_are_errors():
    pre = SeriesPreprocessor().fit(Dataset.from_array(np.zeros((2, 5, 3)) + np.arange(5)[None, :, None]))
    with pytest.raises(DataError, match="3"):
        pre.transform(Dataset.from_array(np.ones((1, 5, 2))))
    with pytest.raises(DataError, match="does not truncate"):
        pre.transform(Dataset.from_array(np.ones((1, 9, 3))), length=5)
