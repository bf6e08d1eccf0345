"""Annotated data sets: one sample's layout, render and annotation (``sample``), the
resumable on-disk store (``store``), the job on one machine or a Dask cluster (``run``,
``cluster``, ``preflight``), and the COCO, nnU-Net and validation views of a set."""
