"""Raw skeleton datasets -> MMAction2 ``PoseDataset`` pickles (library side of ``tools/data/*.py``)."""
